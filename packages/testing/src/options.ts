import type { JSONWebKeySet } from 'jose'
import type { DpopOptions } from './dpop.js'
import type { FlavorName, FlavorShape } from './flavors/shape.js'
import { resolveFlavor } from './flavors/table.js'
import type { TlsClientAuth, TlsOptions } from './tls.js'

/**
 * JWS algorithms the server can sign its access tokens with.
 *
 * @example
 * ```ts
 * const server = await createAuthServer({ algorithm: 'EdDSA' satisfies SigningAlgorithm })
 * ```
 */
export type SigningAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'

/** Every {@link SigningAlgorithm}, in the order metadata lists them. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]

/**
 * A client the token endpoint knows.
 *
 * @example
 * ```ts
 * const billing: RegisteredClient = {
 *   clientId: 'billing',
 *   clientSecret: 's3cret',
 *   scopes: ['orders:read', 'orders:write'],
 *   audience: ['https://orders.example', 'https://invoices.example'],
 * }
 * ```
 */
export interface RegisteredClient {
  /** The `client_id`; also the `sub` of the tokens it gets. */
  clientId: string
  /** Secret for `client_secret_basic` and `client_secret_post`. */
  clientSecret?: string
  /** Public keys for `private_key_jwt` (RFC 7523 client assertions). */
  jwks?: JSONWebKeySet
  /** Scopes this client may be granted; a request without `scope` gets them all. */
  scopes: string[]
  /** Audiences this client may ask for; the first is the default. Without it: the server's `audience`. */
  audience?: string | string[]
  /** Lifetime of this client's tokens in seconds; overrides the server's `tokenLifetime`. */
  tokenLifetime?: number
  /** `tls_client_auth` (RFC 8705 §2.1): a certificate from the `tls.ca` with this subject authenticates the client. */
  tlsClientAuth?: TlsClientAuth
  /** `self_signed_tls_client_auth` (RFC 8705 §2.2): this certificate (PEM) authenticates the client. */
  selfSignedCertificate?: string
}

/**
 * Options of {@link createAuthServer}. Every one has a default.
 *
 * @example
 * ```ts
 * const server = await createAuthServer({
 *   issuerPath: '/tenant-a',
 *   algorithm: 'ES256',
 *   clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
 * })
 * ```
 */
export interface AuthServerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number
  /** Path of the issuer, e.g. `/tenant-a`; empty for none. Default `''`. */
  issuerPath?: string
  /** Algorithm of the signing key. Default `RS256`. */
  algorithm?: SigningAlgorithm
  /** Access token lifetime in seconds. Default 300. */
  tokenLifetime?: number
  /** Default `aud` when neither the client nor the request names one. Default `https://api.example`. */
  audience?: string
  /** Clients registered at start. Default none. */
  clients?: RegisteredClient[]
  /** Milliseconds since the epoch, for `iat`, `exp`, key retirement, client assertion checks and every answer's `Date` header. Default `Date.now`. */
  clock?: () => number
  /** `Cache-Control: max-age` of the JWKS response, in seconds. Default 300. */
  jwksMaxAge?: number
  /** Imitate a provider: its token header and claims, issuer shape and discovery layout. Default: none (RFC 9068). */
  flavor?: FlavorName
  /** The flavor's Entra tenant id, Okta authorization server id, Cognito user pool id, Keycloak realm or PingOne environment id. */
  tenant?: string
  /** Serve HTTPS, ask clients for certificates: `tls_client_auth`, `self_signed_tls_client_auth`, certificate-bound tokens. */
  tls?: TlsOptions
  /** DPoP (RFC 9449) at the token endpoint: proofs are always accepted; this turns on server nonces. */
  dpop?: DpopOptions
}

/** {@link AuthServerOptions} with defaults applied and every value checked. */
export interface ResolvedOptions {
  host: string
  port: number
  issuerPath: string
  algorithm: SigningAlgorithm
  tokenLifetime: number
  audience: string
  clients: RegisteredClient[]
  clock: () => number
  jwksMaxAge: number
  flavor: FlavorShape | undefined
}

// RFC 3986 path segments: unreserved, sub-delims, ':' '@' and percent-encodings.
const ISSUER_PATH = /^(?:\/(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})+)*$/

/**
 * Applies defaults and validates eagerly, so a mistake fails at start with the option's name.
 *
 * @example
 * ```ts
 * resolveOptions({ port: 8080 }).issuerPath // ''
 * ```
 */
export function resolveOptions(options: AuthServerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const flavor = resolveFlavor(options.flavor, options.tenant, options.issuerPath)
  const {
    host = '127.0.0.1',
    port = 0,
    issuerPath = '',
    algorithm = 'RS256',
    tokenLifetime = 300,
    audience = flavor?.defaultAudience ?? 'https://api.example',
    clients = [],
    clock = Date.now,
    jwksMaxAge = 300,
  } = options
  if (typeof host !== 'string' || host === '') throw new TypeError('"host" option must be a non-empty string')
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError('"port" option must be an integer from 0 to 65535')
  }
  if (typeof issuerPath !== 'string' || !ISSUER_PATH.test(issuerPath)) {
    throw new TypeError(
      '"issuerPath" option must be empty or a path like "/tenant-a" without a trailing slash',
    )
  }
  if (!SIGNING_ALGORITHMS.includes(algorithm)) {
    throw new TypeError(`"algorithm" option must be one of ${SIGNING_ALGORITHMS.join(', ')}`)
  }
  assertPositiveInteger(tokenLifetime, '"tokenLifetime" option')
  if (typeof audience !== 'string' || audience === '') {
    throw new TypeError('"audience" option must be a non-empty string')
  }
  if (!Array.isArray(clients)) throw new TypeError('"clients" option must be an array')
  if (typeof clock !== 'function') throw new TypeError('"clock" option must be a function')
  if (!Number.isInteger(jwksMaxAge) || jwksMaxAge < 0) {
    throw new TypeError('"jwksMaxAge" option must be a non-negative integer')
  }
  return { host, port, issuerPath, algorithm, tokenLifetime, audience, clients, clock, jwksMaxAge, flavor }
}

/**
 * Throws a TypeError naming `label` unless `value` is a positive integer.
 *
 * @example
 * ```ts
 * assertPositiveInteger(300, '"tokenLifetime" option')
 * ```
 */
export function assertPositiveInteger(value: unknown, label: string): asserts value is number {
  if (!Number.isInteger(value) || (value as number) <= 0) {
    throw new TypeError(`${label} must be a positive integer`)
  }
}
