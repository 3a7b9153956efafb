/**
 * Verifier options: their types, defaults, and the one validation pass that
 * turns bad configuration into a TypeError at start-up, naming the option.
 */
import type { EventHandler } from './events.js'
import type { IssuerProfile, IssuerSettings, ProfileConfig } from './issuers/profile.js'
import type { KeyStore } from './keys/key-store.js'
import type { DpopOptions, MtlsOptions } from './policy/binding-options.js'
import type { UsageOption } from './policy/usage.js'
import type { ResolvedResourceMetadata, ResourceMetadataOptions } from './resource-metadata.js'

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
 * Options of {@link createVerifier}: `issuer` and `audience` for one issuer,
 * or `issuers` (several issuer profiles); everything else has a strict
 * default. The issuer fields given at the top level (`audience`,
 * `algorithms`, `clientIdClaims`, …) are also the defaults of every profile.
 *
 * @example
 * const one: VerifierOptions = { issuer: 'https://auth.example.com', audience: 'https://orders.example.com' }
 * const several: VerifierOptions = {
 *   audience: 'https://orders.example.com',
 *   issuers: [{ issuer: 'https://auth.example.com' }, auth0({ domain: 'acme.eu.auth0.com', audience: 'https://orders.example.com' })],
 * }
 */
export type VerifierOptions = SharedVerifierOptions & (SingleIssuerOptions | MultiIssuerOptions)

/** One issuer: `issuer` and `audience` at the top level. (With `issuers` too, `createVerifier` throws.) */
export interface SingleIssuerOptions {
  /** Expected `iss`, compared exactly (mind trailing slashes); a list accepts any of them. */
  issuer: string | readonly string[]
  /**
   * `aud` must contain one of these. `null` skips the check, only with
   * `clients` or `requiredClaims` to stand in for it.
   */
  audience: string | readonly string[] | null
}

/** Several issuers, each with its own audience, keys and claim rules; the token's `iss` picks one. */
export interface MultiIssuerOptions {
  /** The issuer profiles; a token whose `iss` none of them names is refused (401 `issuer_unknown`). */
  issuers: readonly IssuerProfile[]
  /** Default `audience` of profiles that set none. */
  audience?: string | readonly string[] | null
}

/**
 * The options every configuration shares. The issuer fields (`jwksUri`,
 * `algorithms`, `clockTolerance`, `clientIdClaims`, `scopeClaims`, …; see
 * {@link IssuerSettings}) apply to the one issuer, or are the defaults of every profile.
 */
export interface SharedVerifierOptions extends Omit<IssuerSettings, 'audience'> {
  /** `realm` of the `WWW-Authenticate` challenge. Default none. */
  realm?: string | undefined
  /**
   * RFC 9728 metadata for this API: served by the adapters at its well-known
   * URL, which every 401 and 403 challenge names (`resource_metadata`). Default none.
   */
  resourceMetadata?: ResourceMetadataOptions | undefined
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
  /**
   * Keeps fetched key sets outside the process (Workers KV, a file, Redis), so
   * that the next invocation of a serverless function starts with keys. Must
   * be writable only by your own code. Default none.
   */
  keyStore?: KeyStore | undefined
  /** Current time in milliseconds since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined
  /** Receives {@link VerifierEvent}s for logs and metrics. */
  onEvent?: EventHandler | undefined
  /** Accept DPoP-bound tokens (RFC 9449). Default off: a token with `cnf.jkt` is refused. */
  dpop?: DpopOptions | boolean | undefined
  /** Accept certificate-bound tokens (RFC 8705). Default off: a token with `cnf["x5t#S256"]` is refused. */
  mtls?: MtlsOptions | boolean | undefined
  /** Record which clients use which scopes, for `verifier.usage()`: `true` or `{ maxClients }` (default 1,000). Default off. */
  usage?: UsageOption | undefined
}

/** Options after validation, with every default filled in. */
export interface ResolvedOptions {
  /** One per issuer profile (one for top-level `issuer`), in the order configured. */
  profiles: readonly ProfileConfig[]
  resourceMetadata: ResolvedResourceMetadata | undefined
  realm: string | undefined
  jwksCache: Required<JwksCacheOptions>
  tokenCacheSize: number
  maxTokenLength: number
  allowInsecureHttp: boolean
  fetch: typeof globalThis.fetch
  keyStore: KeyStore | undefined
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
