import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto'
import { Agent } from 'undici'

/**
 * A client certificate for mutual TLS (RFC 8705): to authenticate at the token endpoint
 * (`tls_client_auth`, `self_signed_tls_client_auth`), to get certificate-bound tokens, and to present
 * on `client.fetch`. PEM text or buffers.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const tls: TlsClientOptions = {
 *   cert: readFileSync('/etc/billing/tls.crt'),
 *   key: readFileSync('/etc/billing/tls.key'),
 *   ca: readFileSync('/etc/billing/internal-ca.crt'), // only if the servers use a private CA
 * }
 * ```
 */
export interface TlsClientOptions {
  /** The client certificate (PEM), optionally followed by its intermediates. */
  cert: string | Buffer
  /** Its private key (PEM), or a `KeyObject`. */
  key: string | Buffer | KeyObject
  /** CA certificates (PEM) to trust for the servers instead of Node's default list. */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>
}

/**
 * The validated `tls` option.
 *
 * @example
 * ```ts
 * const { certificate, connect } = resolveTls(options.tls)
 * ```
 */
export interface ResolvedTls {
  certificate: X509Certificate
  connect: { cert: string | Buffer; key: string | Buffer; ca?: Array<string | Buffer> }
}

function invalid(name: string, requirement: string): never {
  throw new TypeError(`"${name}" option ${requirement}`)
}

function pem(value: unknown, name: string): string | Buffer {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) invalid(name, 'must be PEM text or a Buffer')
  if (!value.toString('utf8').includes('-----BEGIN ')) invalid(name, 'must be PEM ("-----BEGIN …")')
  return value
}

/**
 * Validates the `tls` option now, so that a certificate that does not parse, a key that is not
 * private or a key that does not belong to the certificate throws a TypeError naming the option at
 * `createTokenClient`, not at the first handshake. Messages never quote key material.
 *
 * @example
 * ```ts
 * resolveTls({ cert: certPem, key: keyPem }).certificate.subject // 'CN=billing'
 * ```
 */
export function resolveTls(option: unknown): ResolvedTls {
  if (typeof option !== 'object' || option === null) invalid('tls', 'must be { cert, key, ca? }')
  const { cert, key, ca } = option as TlsClientOptions
  const certText = pem(cert, 'tls.cert')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(certText)
  } catch {
    return invalid('tls.cert', 'is not a valid X.509 certificate')
  }
  let keyObject: KeyObject
  try {
    keyObject = key instanceof KeyObject ? key : createPrivateKey(pem(key, 'tls.key'))
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith('"tls.key"')) throw error
    return invalid('tls.key', 'is not a valid private key')
  }
  if (keyObject.type !== 'private') invalid('tls.key', 'must be a private key')
  if (!certificate.checkPrivateKey(keyObject)) invalid('tls.key', 'does not belong to "tls.cert"')
  const keyPem =
    key instanceof KeyObject ? (keyObject.export({ type: 'pkcs8', format: 'pem' }) as string) : key
  const cas =
    ca === undefined ? undefined : (Array.isArray(ca) ? ca : [ca]).map((entry) => pem(entry, 'tls.ca'))
  if (cas?.length === 0) invalid('tls.ca', 'must not be an empty list')
  return { certificate, connect: { cert: certText, key: keyPem, ...(cas === undefined ? {} : { ca: cas }) } }
}

/**
 * Wraps `fetch` so that every request it makes presents the client certificate, through an undici
 * `Agent` (global `fetch` cannot present one). A custom `fetch` receives the agent as `init.dispatcher`,
 * as Node's and undici's fetch understand it. Idle connections do not keep the process alive. TLS
 * sessions are not resumed, so every connection presents the certificate.
 *
 * @example
 * ```ts
 * const mtlsFetch = fetchWithCertificate(globalThis.fetch, resolveTls(options.tls))
 * ```
 */
export function fetchWithCertificate(
  fetchImpl: typeof globalThis.fetch,
  tls: ResolvedTls,
): typeof globalThis.fetch {
  // No TLS session resumption: on a resumed session a Node.js server may not see the client
  // certificate again (nodejs/node#3940), and would refuse a certificate-bound token. Keep-alive
  // connections make the full handshakes rare.
  const dispatcher = new Agent({ connect: { ...tls.connect, maxCachedSessions: 0 } })
  return (input, init) => fetchImpl(input, { ...init, dispatcher } as unknown as RequestInit)
}
