import 'reflect-metadata'
import { KeyObject, webcrypto } from 'node:crypto'

type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

import * as x509 from '@peculiar/x509'

// Throwaway certificates for tests, made by a maintained X.509 library (@peculiar/x509) rather than
// by hand: a CA, a server certificate for 127.0.0.1, and client certificates signed by the CA or
// self-signed.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const

export interface Issued {
  cert: string
  key: string
  /** DER of the certificate, base64 (for x5c). */
  der: string
  subject: string
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair
}

function pemKey(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string
}

let serial = 1
const validity = () => {
  const now = Date.now()
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + 24 * 3600_000) }
}

function issued(cert: x509.X509Certificate, key: CryptoKey): Issued {
  return {
    cert: cert.toString('pem'),
    key: pemKey(key),
    der: Buffer.from(cert.rawData).toString('base64'),
    subject: cert.subject,
  }
}

export interface TestPki {
  ca: Issued
  server: Issued
  /** A client certificate signed by the CA, subject `CN=<name>`. */
  client(name: string): Promise<Issued>
  /** A self-signed client certificate, subject `CN=<name>`. */
  selfSigned(name: string): Promise<Issued>
}

export async function createTestPki(): Promise<TestPki> {
  const caKeys = await keyPair()
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: String(serial++).padStart(2, '0'),
    name: 'CN=m2m-guard test CA',
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  })
  const sign = async (subject: string, extensions: x509.Extension[]) => {
    const keys = await keyPair()
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: String(serial++).padStart(2, '0'),
      subject,
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      ...validity(),
      extensions,
    })
    return issued(cert, keys.privateKey)
  }
  const server = await sign('CN=127.0.0.1', [
    new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ])
  return {
    ca: issued(caCert, caKeys.privateKey),
    server,
    client: (name) =>
      sign(`CN=${name}`, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]),
    selfSigned: async (name) => {
      const keys = await keyPair()
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: String(serial++).padStart(2, '0'),
        name: `CN=${name}`,
        keys,
        signingAlgorithm: ALGORITHM,
        ...validity(),
      })
      return issued(cert, keys.privateKey)
    },
  }
}
