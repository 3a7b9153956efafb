/**
 * Throwaway X.509 certificates for tests, made by the openssl command line:
 * a CA, and certificates it signs (PEM and DER). Each certificate is made in
 * a temporary directory removed as soon as its files are read: a test
 * worker may be stopped without its 'exit' event, which left them behind.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificate {
  pem: string
  der: Buffer
  keyPem: string
  /** base64url SHA-256 of the DER: what `cnf["x5t#S256"]` names. */
  thumbprint: string
  x509: X509Certificate
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe', timeout: 20_000 })
}

/** A certificate for `commonName`: self-signed, or signed by `issuer`. */
export function makeCertificate(
  commonName: string,
  issuer?: TestCertificate,
  options: { ca?: boolean; san?: string } = {},
): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-guard-certs-'))
  try {
    return makeIn(dir, commonName, issuer, options)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function makeIn(
  dir: string,
  commonName: string,
  issuer: TestCertificate | undefined,
  options: { ca?: boolean; san?: string },
): TestCertificate {
  const name = join(dir, 'cert')
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
  const extensions = [
    options.ca === true ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=critical,CA:FALSE',
    ...(options.san === undefined ? [] : [`subjectAltName=${options.san}`]),
  ]
  if (issuer === undefined) {
    openssl([
      'req',
      '-new',
      '-x509',
      '-key',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      ...extensions.flatMap((extension) => ['-addext', extension]),
    ])
  } else {
    const issuerName = join(dir, 'issuer')
    writeFileSync(`${issuerName}.pem`, issuer.pem)
    writeFileSync(`${issuerName}.key`, issuer.keyPem)
    writeFileSync(`${name}.ext`, `${extensions.join('\n')}\n`)
    openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${commonName}`])
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuerName}.pem`,
      '-CAkey',
      `${issuerName}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ])
  }
  const pem = readFileSync(`${name}.pem`, 'utf8')
  const x509 = new X509Certificate(pem)
  return {
    pem,
    der: x509.raw,
    keyPem: readFileSync(`${name}.key`, 'utf8'),
    thumbprint: Buffer.from(x509.fingerprint256.replaceAll(':', ''), 'hex').toString('base64url'),
    x509,
  }
}
