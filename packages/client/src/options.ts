import type { CredentialSource } from './credential-source.js'
import type { DpopOptions } from './dpop-key.js'
import type { TokenClientEvent } from './events.js'
import type { PrivateKey } from './signing-key.js'
import type { TlsClientOptions } from './tls-client.js'
import type { TokenStore, TokenStoreOptions } from './token-store.js'

/**
 * How the client authenticates to the token endpoint.
 *
 * @example
 * ```ts
 * const authMethod: AuthMethod = 'client_secret_post'
 * ```
 */
export type AuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'

/**
 * Retry policy for token (and discovery) requests. Durations in milliseconds.
 *
 * Network errors, timeouts, 408, 429 and 5xx are retried; every other answer is final. Delays grow
 * exponentially with full jitter: attempt n waits a random time between `minDelay` and
 * `min(maxDelay, minDelay * 2^n)`; a `Retry-After` from the server replaces it. A `Retry-After`
 * longer than `maxDelay`, or one that would start the retry after `maxElapsed`, is not shortened: the
 * client stops retrying and rejects with the error, whose `retryAfter` says how long the server asked.
 * (A failed background renewal then waits at least that long, while the cached token lasts.)
 *
 * @example
 * ```ts
 * createTokenClient({ ...credentials, retry: { retries: 5, maxElapsed: 60_000 } })
 * ```
 */
export interface RetryOptions {
  /** Retries after the first request. Default 3 (so at most 4 requests). `0` disables retrying. */
  retries?: number
  /** Smallest delay before a retry. Default 100. */
  minDelay?: number
  /** Largest delay before a retry; a longer `Retry-After` ends the retries instead. Default 10 000. */
  maxDelay?: number
  /** No retry starts once this much time has passed since the first request. Default 30 000. */
  maxElapsed?: number
}

/** Options shared by every way of authenticating. */
export interface BaseTokenClientOptions {
  /** The token endpoint URL. Give this or `issuer`. */
  tokenEndpoint?: string | URL
  /**
   * The issuer identifier, to discover the token endpoint from its metadata (RFC 8414
   * `/.well-known/oauth-authorization-server`, then OpenID `/.well-known/openid-configuration`).
   * The metadata's `issuer` must equal this exactly. Give this or `tokenEndpoint`.
   */
  issuer?: string
  /** The OAuth client id. */
  clientId: string
  /** Scopes to ask for: a space-delimited string or a list. Default: none (the server's default). */
  scope?: string | readonly string[]
  /** The `audience` parameter some servers (Auth0, Okta…) use to pick the API. Default: none. */
  audience?: string
  /** RFC 8707 resource indicator(s): absolute URIs of the APIs the token is for. Default: none. */
  resource?: string | readonly string[]
  /**
   * Renew when less than this much lifetime (ms) is left, or once 80% of the lifetime has passed,
   * whichever comes first. Default 60 000.
   */
  renewBefore?: number
  /** Lifetime (ms) assumed when the token response has no `expires_in`. Default 300 000. */
  defaultLifetime?: number
  /** Retry policy, or `false` to never retry. */
  retry?: RetryOptions | false
  /** Time limit (ms) for each HTTP request, body included. Default 10 000. */
  timeout?: number
  /** Largest response body (bytes) read from the token and metadata endpoints. Default 65 536. */
  maxResponseSize?: number
  /** The fetch used for the token endpoint, discovery and `client.fetch`. Default: global `fetch`. */
  fetch?: typeof globalThis.fetch
  /** Current time in milliseconds since the epoch. Default `Date.now`. Inject it to test expiry. */
  clock?: () => number
  /**
   * How to wait between retries. Default: a timer that keeps the process alive only while someone
   * awaits the token. Inject it to test backoff without waiting.
   */
  sleep?: (ms: number) => Promise<void>
  /** Receives token events. A handler that throws or rejects cannot break the client. */
  onEvent?: (event: TokenClientEvent) => unknown
  /**
   * DPoP (RFC 9449): bind tokens to a key the client holds. `true` makes an ES256 key once per
   * client; `{ privateKey }` brings one. Proofs go to the token endpoint and with every
   * `client.fetch`; the token endpoint must answer `token_type: DPoP`. Default: off.
   */
  dpop?: boolean | DpopOptions
  /**
   * A client certificate (RFC 8705) presented to the token endpoint, to discovery and on every
   * `client.fetch`: required with `tls_client_auth` / `self_signed_tls_client_auth`, and with any
   * method when the server binds tokens to the certificate. Default: none.
   */
  tls?: TlsClientOptions
  /**
   * Share the token with the other instances of this caller (`@m2m-guard/redis`
   * `createRedisTokenStore`, or your own): one token, and one renewal per lifetime, for the fleet.
   * When the store is down or slow, each instance falls back to its own token. Default: none.
   */
  store?: TokenStore
  /** Timeouts of the `store`: `{ timeout, lockTtl, maxWait }`. */
  storeOptions?: TokenStoreOptions
}

/**
 * `client_secret_basic` (the default, RFC 6749 §2.3.1) or `client_secret_post` authentication.
 *
 * @example
 * ```ts
 * const options: SecretClientOptions = { tokenEndpoint, clientId: 'billing', clientSecret: process.env.SECRET! }
 * ```
 */
export interface SecretClientOptions extends BaseTokenClientOptions {
  authMethod?: 'client_secret_basic' | 'client_secret_post'
  /**
   * The client secret, or a function that returns it (maybe asynchronously), called at each token
   * request so that a rotated secret is picked up without a restart. After `invalid_client` the
   * function is called once more, and the request retried if the secret changed.
   */
  clientSecret: string | CredentialSource<string>
  privateKey?: never
  algorithm?: never
  keyId?: never
}

/**
 * `private_key_jwt` authentication (RFC 7523): each request carries a short-lived JWT signed with
 * the client's private key; `iss` = `sub` = client id, `aud` = the token endpoint.
 *
 * @example
 * ```ts
 * const options: PrivateKeyClientOptions = { issuer, clientId: 'billing', privateKey: JSON.parse(process.env.JWK!) }
 * ```
 */
export interface PrivateKeyClientOptions extends BaseTokenClientOptions {
  authMethod?: 'private_key_jwt'
  /**
   * The private key, or a function that returns it (maybe asynchronously), called at each token
   * request so that a rotated key is picked up without a restart. After `invalid_client` the function
   * is called once more, and the request retried if the key changed.
   */
  privateKey: PrivateKey | CredentialSource<PrivateKey>
  /** Signing algorithm. Default: the JWK's `alg`, else RS256, PS256, ES256/384/512 or EdDSA by key type. */
  algorithm?: string
  /** `kid` header of the assertion. Default: the JWK's `kid`, if any. */
  keyId?: string
  clientSecret?: never
}

/**
 * Mutual-TLS client authentication (RFC 8705 §2): the client certificate in `tls` is the credential.
 * `tls_client_auth` for a certificate from a CA the server trusts (registered by subject or SAN),
 * `self_signed_tls_client_auth` for a certificate registered with the client. The server binds the
 * tokens to the certificate, and `client.fetch` presents the same one.
 *
 * @example
 * ```ts
 * const options: TlsClientAuthOptions = {
 *   issuer, clientId: 'billing', authMethod: 'tls_client_auth',
 *   tls: { cert: readFileSync('billing.crt'), key: readFileSync('billing.key') },
 * }
 * ```
 */
export interface TlsClientAuthOptions extends BaseTokenClientOptions {
  authMethod: 'tls_client_auth' | 'self_signed_tls_client_auth'
  tls: TlsClientOptions
  clientSecret?: never
  privateKey?: never
  algorithm?: never
  keyId?: never
}

/**
 * Options of {@link createTokenClient}. Durations are in milliseconds.
 *
 * @example
 * ```ts
 * const options: TokenClientOptions = {
 *   issuer: 'https://auth.example.com',
 *   clientId: process.env.CLIENT_ID!,
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   scope: ['orders:read'],
 * }
 * ```
 */
export type TokenClientOptions = SecretClientOptions | PrivateKeyClientOptions | TlsClientAuthOptions

/**
 * The defaults of every optional setting.
 *
 * @example
 * ```ts
 * DEFAULTS.timeout // 10_000
 * ```
 */
export const DEFAULTS = Object.freeze({
  renewBefore: 60_000,
  defaultLifetime: 300_000,
  timeout: 10_000,
  maxResponseSize: 65_536,
  retry: Object.freeze({ retries: 3, minDelay: 100, maxDelay: 10_000, maxElapsed: 30_000 }),
  storeOptions: Object.freeze({ timeout: 1_000, lockTtl: 30_000, maxWait: 10_000 }),
})
