/**
 * The metric names, units and attribute keys, in one place so the README,
 * the dashboards and the code agree. Names follow OpenTelemetry's naming
 * rules (a `m2m_guard.` namespace, dot-separated, units in UCUM: `s`, and
 * `{verification}` style annotations for counts; durations in seconds, as
 * the semantic conventions ask of every `*.duration` histogram).
 */

/**
 * Every metric `instrument()` records.
 *
 * @example
 * // Prometheus, through the OpenTelemetry exporter: m2m_guard_verifications_total{outcome="rejected"}
 * METRICS.verifications // 'm2m_guard.verifications'
 */
export const METRICS = Object.freeze({
  /** Counter: `outcome` (`accepted` | `rejected`), `reason` (on rejections), `issuer`. */
  verifications: 'm2m_guard.verifications',
  /** Histogram, s: `outcome`, `issuer`. */
  verificationDuration: 'm2m_guard.verification.duration',
  /** Counter: `outcome` (`success` | `failure`), `trigger`, `issuer`. */
  jwksFetches: 'm2m_guard.jwks.fetches',
  /** Histogram, s: `outcome`, `issuer`. */
  jwksFetchDuration: 'm2m_guard.jwks.fetch.duration',
  /** Observable gauge, s: time since the key set was fetched, per `issuer`. */
  jwksAge: 'm2m_guard.jwks.age',
  /** Counter: `hit` (true | false). */
  tokenCacheLookups: 'm2m_guard.token_cache.lookups',
  /** Counter (token client): `outcome` (`success` | `failure`), `reason` (on failures). */
  clientTokenRequests: 'm2m_guard.client.token_requests',
})

/** The `issuer` attribute when no configured issuer profile applies (a token whose `iss` none names). */
export const UNKNOWN_ISSUER = 'unknown'

/**
 * Bucket boundaries, in seconds, for verification: a reused token costs
 * microseconds, a new one a signature check, the first one a key fetch.
 */
export const VERIFICATION_BUCKETS = [
  0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

/** Bucket boundaries, in seconds, for key fetches (bounded by `jwksCache.timeout`, 5 s by default). */
export const FETCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
