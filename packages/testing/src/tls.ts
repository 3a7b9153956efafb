import { constants, createHash, X509Certificate } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ServerOptions } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { CLIENT_AUTH_METHODS } from './client-auth.js'
import type { ClientRecord, ClientRegistry } from './clients.js'
import type { FormParams } from './form-params.js'
import { invalidClient } from './oauth-error.js'
import type { RegisteredClient } from './options.js'
import { x509Library } from './x509-library.js'

/**
 * The `tls` option of `createAuthServer`: serve HTTPS and ask every client for a certificate.
 *
 * @example
 * ```ts
 * const pki = await createTestCertificates()
 * const server = await createAuthServer({ tls: { ...pki.server, ca: pki.ca } })
 * ```
 */
export interface TlsOptions {
  /** The server's certificate (PEM), e.g. `createTestCertificates().server.cert`. */
  cert: string
  /** The server's private key (PEM). */
  key: string
  /** The CA certificates (PEM) that issue client certificates for `tls_client_auth`. Default: none trusted. */
  ca?: string | string[]
  /**
   * Bind every token requested over a connection that presented a certificate to it
   * (`cnf["x5t#S256"]`, RFC 8705 §3), unless the request carries a DPoP proof. Default true.
   */
  boundAccessTokens?: boolean
}

/**
 * How a client authenticates with a certificate (RFC 8705 §2), when registered for it.
 *
 * @example
 * ```ts
 * const auth: TlsClientAuth = { subjectDn: 'CN=billing, O=Acme' }
 * ```
 */
export interface TlsClientAuth {
  /** `tls_client_auth_subject_dn`: the RFC 4514 subject the CA-issued certificate must have. */
  subjectDn: string
}

const SUBJECT_DN = /^(?:[A-Z][A-Za-z0-9-]*|\d+(?:\.\d+)+)=/

/**
 * Mutual TLS at the token endpoint: the HTTPS server options, `tls_client_auth` and
 * `self_signed_tls_client_auth`, and the thumbprint that binds a token to the certificate.
 *
 * @example
 * ```ts
 * const mtls = await MutualTls.create(options.tls)
 * const listener = await listen(handle, host, port, { tls: mtls.serverOptions })
 * ```
 */
export class MutualTls {
  readonly serverOptions: ServerOptions
  readonly boundAccessTokens: boolean
  readonly #x509: Awaited<ReturnType<typeof x509Library>>
  // With `ca`, Node judges client certificates against those CAs only; without it, against its
  // public root CAs, none of which may authenticate a tls_client_auth client here.
  readonly #trustsCa: boolean

  private constructor(options: TlsOptions, x509: Awaited<ReturnType<typeof x509Library>>) {
    this.boundAccessTokens = options.boundAccessTokens ?? true
    this.#x509 = x509
    this.#trustsCa = options.ca !== undefined && options.ca.length > 0
    this.serverOptions = {
      cert: options.cert,
      key: options.key,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      // Ask for a certificate but let the token endpoint judge it: self-signed ones are valid
      // for self_signed_tls_client_auth, and a missing one is an OAuth error, not a TLS alert.
      requestCert: true,
      rejectUnauthorized: false,
      // No session tickets: a resumed TLS session may not carry the peer certificate (nodejs/node#3940).
      secureOptions: constants.SSL_OP_NO_TICKET,
    }
  }

  /** Checks the option and loads the X.509 library (for subject DN matching). */
  static async create(options: TlsOptions): Promise<MutualTls> {
    if (typeof options !== 'object' || options === null) throw new TypeError('"tls" option must be an object')
    const { cert, key, ca, boundAccessTokens } = options
    for (const [name, value] of [
      ['cert', cert],
      ['key', key],
    ] as const) {
      if (typeof value !== 'string' || !value.includes('-----BEGIN')) {
        throw new TypeError(`"tls.${name}" option must be a PEM string`)
      }
    }
    const cas = ca === undefined ? [] : Array.isArray(ca) ? ca : [ca]
    for (const pem of cas) parseCertificate(pem, '"tls.ca" option')
    if (boundAccessTokens !== undefined && typeof boundAccessTokens !== 'boolean') {
      throw new TypeError('"tls.boundAccessTokens" option must be a boolean')
    }
    return new MutualTls(options, await x509Library())
  }

  /** Checks a client's certificate registration; throws a TypeError naming the field. */
  checkRegistration(client: RegisteredClient): void {
    const label = `client "${client.clientId}"`
    if (client.tlsClientAuth !== undefined) {
      const subjectDn = client.tlsClientAuth?.subjectDn
      if (
        typeof subjectDn !== 'string' ||
        !SUBJECT_DN.test(subjectDn) ||
        this.#normalName(subjectDn) === '[]'
      ) {
        throw new TypeError(
          `${label}: "tlsClientAuth.subjectDn" must be an RFC 4514 name such as "CN=billing, O=Acme"`,
        )
      }
    }
    if (client.selfSignedCertificate !== undefined) {
      parseCertificate(client.selfSignedCertificate, `${label}: "selfSignedCertificate"`)
    }
  }

  /**
   * The client, when the request authenticates with its certificate: no other credentials, a
   * `client_id` registered for a TLS method. Undefined when the request uses another method.
   */
  authenticate(
    req: IncomingMessage,
    params: FormParams,
    registry: ClientRegistry,
    now: number,
  ): ClientRecord | undefined {
    if (
      req.headers.authorization !== undefined ||
      params.has('client_secret') ||
      params.has('client_assertion')
    ) {
      return undefined
    }
    const clientId = params.get('client_id')
    const client = clientId === undefined ? undefined : registry.get(clientId)
    if (
      client === undefined ||
      (client.tlsClientAuth === undefined && client.selfSignedCertificate === undefined)
    ) {
      return undefined
    }
    const socket = req.socket as TLSSocket
    const presented = peerCertificate(req)
    if (presented === undefined) throw invalidClient('a client certificate is required', false)
    if (now < Date.parse(presented.validFrom) || now > Date.parse(presented.validTo)) {
      throw invalidClient('the client certificate is not valid at this time', false)
    }
    if (client.selfSignedCertificate !== undefined) {
      const registered = new X509Certificate(client.selfSignedCertificate)
      if (registered.raw.equals(presented.raw)) return client
    }
    if (client.tlsClientAuth !== undefined && this.#trustsCa && socket.authorized) {
      const subject = new this.#x509.X509Certificate(presented.raw).subjectName.toString()
      if (this.#normalName(subject) === this.#normalName(client.tlsClientAuth.subjectDn)) return client
    }
    throw invalidClient('the client certificate does not match the registered one', false)
  }

  /** The `cnf` that binds a token to the request's certificate, when tokens are bound and one was presented. */
  confirmation(req: IncomingMessage): { 'x5t#S256': string } | undefined {
    if (!this.boundAccessTokens) return undefined
    const presented = peerCertificate(req)
    return presented && { 'x5t#S256': certificateThumbprint(presented.raw) }
  }

  /** The RFC 8705 metadata: the two certificate methods, bound tokens, and the token endpoint as its mTLS alias. */
  metadata(tokenEndpoint: string): Record<string, unknown> {
    return {
      token_endpoint_auth_methods_supported: [
        ...CLIENT_AUTH_METHODS,
        'tls_client_auth',
        'self_signed_tls_client_auth',
      ],
      tls_client_certificate_bound_access_tokens: this.boundAccessTokens,
      // Every endpoint already asks for a certificate, so the alias is the endpoint itself.
      mtls_endpoint_aliases: { token_endpoint: tokenEndpoint },
    }
  }

  /** RFC 4514 names compare by their attributes, values case-insensitively with spaces collapsed (RFC 4517 caseIgnoreMatch). */
  #normalName(dn: string): string {
    try {
      const rdns = new this.#x509.Name(dn).toJSON()
      return JSON.stringify(
        rdns.map((rdn) =>
          Object.entries(rdn)
            .map(([type, values]) => [
              type,
              values.map((v) => v.trim().replace(/\s+/g, ' ').toLowerCase()).sort(),
            ])
            .sort(),
        ),
      )
    } catch {
      return '[]'
    }
  }
}

/**
 * Refuses a client registered for certificate authentication that this server cannot check:
 * a bad subject DN or certificate, or a server without the `tls` option.
 *
 * @example
 * ```ts
 * checkCertificateRegistration(validateClient(client), mtls)
 * ```
 */
export function checkCertificateRegistration(client: RegisteredClient, mtls: MutualTls | undefined): void {
  if (mtls !== undefined) mtls.checkRegistration(client)
  else if (client.tlsClientAuth !== undefined || client.selfSignedCertificate !== undefined) {
    throw new TypeError(
      `client "${client.clientId}" authenticates with a certificate: the server needs the "tls" option`,
    )
  }
}

/**
 * The certificate the client presented on this request's TLS connection, if any.
 *
 * @example
 * ```ts
 * peerCertificate(req)?.subject // 'CN=billing\nO=Acme'
 * ```
 */
export function peerCertificate(req: IncomingMessage): X509Certificate | undefined {
  const socket = req.socket as Partial<TLSSocket>
  return typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined
}

/**
 * RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the certificate's DER.
 *
 * @example
 * ```ts
 * certificateThumbprint(new X509Certificate(pem).raw)
 * ```
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url')
}

function parseCertificate(pem: unknown, label: string): X509Certificate {
  try {
    if (typeof pem !== 'string') throw new TypeError()
    return new X509Certificate(pem)
  } catch {
    throw new TypeError(`${label} must be a PEM certificate`)
  }
}
