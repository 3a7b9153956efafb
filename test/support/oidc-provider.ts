/**
 * oidc-provider (panva/node-oidc-provider), a certified third-party authorization
 * server, on 127.0.0.1:0 with the client-credentials grant and JWT access tokens
 * for one API (resource indicators). For interop tests: its tokens, discovery and
 * keys are written by someone else's code, not by @m2m-guard/testing.
 *
 * With `tls` it serves HTTPS asking for (not requiring) client certificates, and
 * its mTLS feature is on: tls_client_auth (a registered subject DN),
 * self_signed_tls_client_auth (a registered certificate) and certificate-bound
 * access tokens (`cnf["x5t#S256"]`). Its dPoP feature is always on: a token
 * request with a proof gets a DPoP token bound to the proof's key (`cnf.jkt`).
 * Used by test/ and by packages/client/test.
 */
import { X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider, { type ClientMetadata, errors } from 'oidc-provider'

export interface OidcProviderServer {
  readonly issuer: string
  readonly tokenEndpoint: string
  /** The provider's public signing keys (as served at `${issuer}/jwks`). */
  readonly jwks: { keys: JWK[] }
  close(): Promise<void>
}

export interface OidcProviderClient {
  clientId: string
  /** For client_secret_basic, the default method. */
  clientSecret?: string
  scopes: string[]
  authMethod?: 'client_secret_basic' | 'tls_client_auth' | 'self_signed_tls_client_auth'
  /** tls_client_auth: the certificate subject registered for the client (`X509Certificate#subject`). */
  subjectDn?: string
  /** self_signed_tls_client_auth: the client's registered certificate (PEM). */
  certificate?: string
  /** `dpop_bound_access_tokens`: a token request without a DPoP proof is refused. */
  dpopBound?: boolean
  /** `tls_client_certificate_bound_access_tokens`: tokens are bound to the client certificate. */
  certificateBound?: boolean
}

export interface OidcProviderOptions {
  /** The API's resource indicator: the `aud` of every access token. */
  audience: string
  clients: OidcProviderClient[]
  /** Serve HTTPS with these keys; the mTLS feature needs it. */
  tls?: { key: string; cert: string; ca: string }
  /** Asked on every DPoP token request: true answers 400 use_dpop_nonce with a `DPoP-Nonce`. */
  requireNonce?: () => boolean
}

/**
 * Starts oidc-provider signing ES256 access tokens (`typ: at+jwt`) for `audience`.
 *
 * @example
 * ```ts
 * const op = await startOidcProvider({ audience: API, clients: [{ clientId: 'ledger', clientSecret: 's', scopes: ['orders:read'] }] })
 * ```
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProviderServer> {
  const { tls } = options
  const server: Server =
    tls === undefined
      ? createServer()
      : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const scheme = tls === undefined ? 'http' : 'https'
  const issuer = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const keyId = { kid: 'op-es256', use: 'sig', alg: 'ES256' }
  const signingKey = { ...(await exportJWK(privateKey)), ...keyId }
  const scopes = [...new Set(options.clients.flatMap((client) => client.scopes))]
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: options.clients.map(clientMetadata),
    clientAuthMethods: tls
      ? ['client_secret_basic', 'tls_client_auth', 'self_signed_tls_client_auth']
      : ['client_secret_basic'],
    scopes,
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: Buffer.alloc(32, 'oidc-provider test nonce secret'),
        requireNonce: () => options.requireNonce?.() ?? false,
      },
      ...(tls === undefined ? {} : { mTLS: mtlsFeature }),
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => options.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== options.audience) throw new errors.InvalidTarget()
          return {
            scope: scopes.join(' '),
            audience: options.audience,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
  })
  server.on('request', provider.callback())
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), ...keyId }] },
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

// The provider runs on an https server: its sockets are TLS sockets.
const tlsOf = (ctx: { socket: unknown }) => ctx.socket as TLSSocket

const mtlsFeature = {
  enabled: true,
  certificateBoundAccessTokens: true,
  tlsClientAuth: true,
  selfSignedTlsClientAuth: true,
  getCertificate: (ctx: { socket: unknown }) => tlsOf(ctx).getPeerX509Certificate(),
  certificateAuthorized: (ctx: { socket: unknown }) => tlsOf(ctx).authorized,
  certificateSubjectMatches: (ctx: { socket: unknown }, property: string, expected: string) =>
    property === 'tls_client_auth_subject_dn' && tlsOf(ctx).getPeerX509Certificate()?.subject === expected,
}

function clientMetadata(client: OidcProviderClient): ClientMetadata {
  const authMethod = client.authMethod ?? 'client_secret_basic'
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }),
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: authMethod,
    scope: client.scopes.join(' '),
    // The provider has only an ES256 key; clients default to RS256 ID tokens otherwise.
    id_token_signed_response_alg: 'ES256',
    ...(client.subjectDn === undefined ? {} : { tls_client_auth_subject_dn: client.subjectDn }),
    ...(client.certificate === undefined ? {} : { jwks: { keys: [certificateJwk(client.certificate)] } }),
    ...(client.dpopBound === true ? { dpop_bound_access_tokens: true } : {}),
    ...(client.certificateBound === true ? { tls_client_certificate_bound_access_tokens: true } : {}),
  }
}

/** A registered self-signed certificate: its public key with the certificate in `x5c`. */
function certificateJwk(pem: string): JWK {
  const certificate = new X509Certificate(pem)
  return {
    ...(certificate.publicKey.export({ format: 'jwk' }) as JWK),
    x5c: [certificate.raw.toString('base64')],
  }
}
