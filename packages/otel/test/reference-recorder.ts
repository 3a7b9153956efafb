/**
 * The plain way to record a verifier's metrics: one SDK call per fact, with
 * attribute objects of its own (what @m2m-guard/otel did before it counted
 * in-package). The oracle that instrument()'s exports must equal.
 */
import type { Verifier } from '@m2m-guard/core'
import { observeVerifier } from '@m2m-guard/core/observe'
import { FETCH_BUCKETS, METRICS, UNKNOWN_ISSUER, VERIFICATION_BUCKETS } from '@m2m-guard/otel'
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api'

export function recordDirectly(verifier: Verifier, meter: Meter): () => void {
  const verifications = meter.createCounter(METRICS.verifications, {
    description:
      'Verification calls (verify, authenticate, authenticateRequest, authorize), by outcome and reason',
    unit: '{verification}',
  })
  const duration = meter.createHistogram(METRICS.verificationDuration, {
    description: 'Time from a verification call to its verdict',
    unit: 's',
    advice: { explicitBucketBoundaries: VERIFICATION_BUCKETS },
  })
  const fetches = meter.createCounter(METRICS.jwksFetches, {
    description: 'JWKS requests, by outcome and what triggered them',
    unit: '{fetch}',
  })
  const fetchDuration = meter.createHistogram(METRICS.jwksFetchDuration, {
    description: 'Duration of JWKS requests',
    unit: 's',
    advice: { explicitBucketBoundaries: FETCH_BUCKETS },
  })
  const lookups = meter.createCounter(METRICS.tokenCacheLookups, {
    description: 'Verified-token cache lookups, by hit',
    unit: '{lookup}',
  })
  const age = meter.createObservableGauge(METRICS.jwksAge, {
    description: 'Time since each issuer key set was fetched (grows while the issuer is unreachable)',
    unit: 's',
  })
  const observeAge = (result: ObservableResult) => {
    for (const status of verifier.keyStatus().issuers) {
      if (status.fetchedAt !== undefined)
        result.observe((Date.now() - status.fetchedAt) / 1000, { issuer: status.issuer })
    }
  }
  age.addCallback(observeAge)
  const stop = observeVerifier(verifier, (event) => {
    if (event.type === 'verification') {
      const attributes: Attributes = { outcome: event.outcome, issuer: event.issuer ?? UNKNOWN_ISSUER }
      duration.record(event.durationMs / 1000, { ...attributes })
      if (event.reason !== undefined) attributes.reason = event.reason
      verifications.add(1, attributes)
    } else if (event.type === 'keys_fetched' || event.type === 'keys_fetch_failed') {
      const outcome = event.type === 'keys_fetched' ? 'success' : 'failure'
      fetches.add(1, { outcome, issuer: event.issuer, trigger: event.trigger })
      fetchDuration.record(event.durationMs / 1000, { outcome, issuer: event.issuer })
    } else if (event.type === 'token_cache_hit' || event.type === 'token_cache_miss') {
      lookups.add(1, { hit: event.type === 'token_cache_hit' })
    }
  })
  return () => {
    stop()
    age.removeCallback(observeAge)
  }
}
