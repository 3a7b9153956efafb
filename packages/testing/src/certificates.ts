import { createHash, webcrypto } from 'node:crypto'
import { x509Library } from './x509-library.js'

/**
 * A certificate with its private key, both PEM, ready for `https`/`tls` options or an undici Agent.
 *
 * @example
 * ```ts
 * const { cert, key } = pki.server
 * https.createServer({ cert, key })
 * ```
 */
export interface CertificateAndKey {
  /** PEM certificate. */
  readonly cert: string
  /** PEM PKCS #8 private key. */
  readonly key: string
}

/**
 * A client certificate as tests need it: PEM cert and key, the subject DN to register for
 * `tls_client_auth`, and the `x5t#S256` thumbprint a certificate-bound token carries.
 *
 * @example
 * ```ts
 * const billing = await pki.issueClient('billing')
 * server.addClient({ clientId: 'billing', scopes: [], tlsClientAuth: { subjectDn: billing.subjectDn } })
 * ```
 */
export interface ClientCertificate extends CertificateAndKey {
  /** The subject as an RFC 4514 string, e.g. `CN=billing, O=m2m-guard tests`. */
  readonly subjectDn: string
  /** base64url SHA-256 of the certificate's DER: the token's `cnf["x5t#S256"]` (RFC 8705 §3.1). */
  readonly thumbprint: string
}

/**
 * A throwaway certificate authority with a server certificate for 127.0.0.1 and localhost.
 *
 * @example
 * ```ts
 * const pki = await createTestCertificates()
 * const server = await createAuthServer({ tls: { ...pki.server, ca: pki.ca } })
 * ```
 */
export interface TestCertificates {
  /** The CA certificate (PEM): trust it on the client side (`ca`), and on the server for `tls_client_auth`. */
  readonly ca: string
  /** A certificate for `127.0.0.1`, `::1` and `localhost`, issued by the CA. */
  readonly server: CertificateAndKey
  /** Issues a client certificate from the CA, its subject `CN=<commonName>, O=m2m-guard tests`. */
  issueClient(commonName: string, options?: IssueOptions): Promise<ClientCertificate>
  /** A self-signed client certificate (no CA), for `self_signed_tls_client_auth`. */
  selfSigned(commonName: string, options?: IssueOptions): Promise<ClientCertificate>
}

/**
 * Options of {@link TestCertificates.issueClient} and {@link TestCertificates.selfSigned}.
 *
 * @example
 * ```ts
 * await pki.issueClient('billing', { organization: 'Acme', validForDays: -1 }) // already expired
 * ```
 */
export interface IssueOptions {
  /** The `O` of the subject. Default `m2m-guard tests`. */
  organization?: string
  /** Days until the certificate expires, from now; negative for one that has expired. Default 1. */
  validForDays?: number
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY = 86_400_000
const DEFAULT_ORGANIZATION = 'm2m-guard tests'

/**
 * Makes a throwaway PKI for tests of mutual TLS: a CA, a server certificate for 127.0.0.1,
 * and client certificates on demand, all ECDSA P-256 (generated in milliseconds), built with
 * @peculiar/x509. Nothing is written to disk; never use these outside tests.
 *
 * @example
 * ```ts
 * import { createAuthServer, createTestCertificates } from '@m2m-guard/testing'
 *
 * const pki = await createTestCertificates()
 * const billing = await pki.issueClient('billing')
 * const server = await createAuthServer({
 *   tls: { ...pki.server, ca: pki.ca },
 *   clients: [{ clientId: 'billing', scopes: ['orders:read'], tlsClientAuth: { subjectDn: billing.subjectDn } }],
 * })
 * ```
 */
export async function createTestCertificates(): Promise<TestCertificates> {
  const x509 = await x509Library()
  const caKeys = await generateKeys()
  const now = Date.now()
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=m2m-guard test CA, O=${DEFAULT_ORGANIZATION}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 7 * DAY),
    keys: caKeys,
    signingAlgorithm: KEY_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  })

  async function issue(
    subject: string,
    extensions: InstanceType<typeof x509.Extension>[],
    validForDays: number,
  ): Promise<{ cert: InstanceType<typeof x509.X509Certificate>; keys: webcrypto.CryptoKeyPair }> {
    const keys = await generateKeys()
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: caCert.subject,
      notBefore: new Date(Math.min(now, Date.now() + validForDays * DAY) - DAY),
      notAfter: new Date(Date.now() + validForDays * DAY),
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: KEY_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ...extensions,
      ],
    })
    return { cert, keys }
  }

  const server = await issue(
    `CN=127.0.0.1, O=${DEFAULT_ORGANIZATION}`,
    [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
    7,
  )

  return {
    ca: caCert.toString('pem'),
    server: { cert: server.cert.toString('pem'), key: await privateKeyPem(server.keys.privateKey) },
    async issueClient(commonName, options = {}) {
      const { cert, keys } = await issue(
        subjectOf(commonName, options),
        [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        ],
        options.validForDays ?? 1,
      )
      return clientCertificate(cert, keys)
    },
    async selfSigned(commonName, options = {}) {
      const keys = await generateKeys()
      const validForDays = options.validForDays ?? 1
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialNumber(),
        name: subjectOf(commonName, options),
        notBefore: new Date(Math.min(Date.now(), Date.now() + validForDays * DAY) - DAY),
        notAfter: new Date(Date.now() + validForDays * DAY),
        keys,
        signingAlgorithm: KEY_ALGORITHM,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        ],
      })
      return clientCertificate(cert, keys)
    },
  }
}

async function clientCertificate(
  cert: { toString(format: 'pem'): string; subject: string; rawData: ArrayBuffer },
  keys: webcrypto.CryptoKeyPair,
): Promise<ClientCertificate> {
  return {
    cert: cert.toString('pem'),
    key: await privateKeyPem(keys.privateKey),
    subjectDn: cert.subject,
    thumbprint: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('base64url'),
  }
}

function subjectOf(commonName: string, options: IssueOptions): string {
  if (typeof commonName !== 'string' || commonName === '')
    throw new TypeError('commonName must be a non-empty string')
  const organization = options.organization ?? DEFAULT_ORGANIZATION
  return `CN=${escapeDnValue(commonName)}, O=${escapeDnValue(organization)}`
}

// RFC 4514 §2.4: the characters that must be escaped in an attribute value.
function escapeDnValue(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, '\\$&').replace(/^[ #]|[ ]$/g, '\\$&')
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, [
    'sign',
    'verify',
  ]) as Promise<webcrypto.CryptoKeyPair>
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key))
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`
}

// Positive, 16 random bytes (RFC 5280 §4.1.2.2 allows up to 20 octets).
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  bytes[0] = (bytes[0] as number) & 0x7f
  return Buffer.from(bytes).toString('hex')
}
