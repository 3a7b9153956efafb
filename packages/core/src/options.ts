/**
 * Verifier options: their types, defaults, and the one validation pass that
 * turns bad configuration into a TypeError at start-up, naming the option.
 */
import type { JSONWebKeySet } from 'jose'
import type { EventHandler } from './events.js'

/** Signature algorithms m2m-guard can verify: asymmetric only. */
export const ASYMMETRIC_ALGORITHMS = [
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
  'Ed25519',
] as const

/** One of {@link ASYMMETRIC_ALGORITHMS}. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]

/** Key-set cache tuning; durations in milliseconds. */
export interface JwksCacheOptions {
  /** How long a fetched key set is fresh when the response has no `Cache-Control: max-age`. Default 10 min. */
  maxAge?: number
  /** Least time between two fetches triggered by unknown `kid`s or failures. Default 30 s. */
  cooldown?: number
  /** Timeout of one metadata or JWKS request. Default 5 s. */
  timeout?: number
  /** How long past freshness cached keys keep serving while the issuer cannot be reached. Default 6 h. */
  staleIfError?: number
  /** Largest JWKS or metadata response accepted, in bytes. Default 256 KiB. */
  maxResponseBytes?: number
  /** Most keys accepted in one key set; a larger set is refused. Default 100. */
  maxKeys?: number
}

/**
 * Options of {@link createVerifier}. `issuer` and `audience` are required;
 * everything else has a strict default.
 *
 * @example
 * const options: VerifierOptions = { issuer: 'https://auth.example.com', audience: 'https://orders.example.com' }
 */
export interface VerifierOptions {
  /** Expected `iss`, compared exactly (mind trailing slashes). */
  issuer: string | readonly string[]
  /** `aud` must contain one of these. */
  audience: string | readonly string[]
  /** Where the keys are. Default: discovered from the issuer's metadata. */
  jwksUri?: string | URL | undefined
  /** A local key set instead of a remote one. */
  jwks?: JSONWebKeySet | undefined
  /** Accepted `alg` values. Default: every asymmetric algorithm. `none` and HS* are refused. */
  algorithms?: readonly AsymmetricAlgorithm[] | undefined
  /** Seconds of clock skew allowed for `exp`, `nbf`, `iat`. Default 5. */
  clockTolerance?: number | undefined
  /** Reject tokens whose `iat` is older than this many seconds. Default off. */
  maxTokenAge?: number | undefined
  /** Demand the RFC 9068 `typ: at+jwt` header. Default false. */
  requireTyp?: boolean | undefined
  /** Claims that name the client, in order. Default `['client_id', 'azp']`. */
  clientIdClaims?: readonly string[] | undefined
  /** `realm` of the `WWW-Authenticate` challenge. Default none. */
  realm?: string | undefined
  /** Key-set cache tuning. */
  jwksCache?: JwksCacheOptions | undefined
  /** Most verified tokens remembered, or `false` to verify every request. Default 10,000. */
  tokenCache?: number | false | undefined
  /** Longest token accepted, in characters, checked before any parsing. Default 16,384. */
  maxTokenLength?: number | undefined
  /** Allow plain-http metadata and JWKS URLs on hosts other than loopback. Default false. */
  allowInsecureHttp?: boolean | undefined
  /** The fetch used for metadata and keys. Default the global fetch. */
  fetch?: typeof globalThis.fetch | undefined
  /** Current time in milliseconds since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined
  /** Receives {@link VerifierEvent}s for logs and metrics. */
  onEvent?: EventHandler | undefined
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  issuers: readonly string[]
  audiences: readonly string[]
  jwksUri: URL | undefined
  jwks: JSONWebKeySet | undefined
  algorithms: readonly AsymmetricAlgorithm[]
  clockTolerance: number
  maxTokenAge: number | undefined
  requireTyp: boolean
  clientIdClaims: readonly string[]
  realm: string | undefined
  jwksCache: Required<JwksCacheOptions>
  tokenCacheSize: number
  maxTokenLength: number
  allowInsecureHttp: boolean
  fetch: typeof globalThis.fetch
  clock: () => number
  onEvent: EventHandler | undefined
}

export const DEFAULT_JWKS_CACHE: Required<JwksCacheOptions> = {
  maxAge: 10 * 60_000,
  cooldown: 30_000,
  timeout: 5_000,
  staleIfError: 6 * 3_600_000,
  maxResponseBytes: 256 * 1024,
  maxKeys: 100,
}
