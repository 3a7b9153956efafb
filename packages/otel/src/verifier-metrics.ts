/**
 * A verifier's events as OpenTelemetry metrics. Attribute values come only
 * from the configuration (the issuer profile's id, the fetch trigger) and
 * from core's fixed vocabularies (outcome, reason): nothing a forged token
 * says reaches a label, so a flood of them adds no series.
 */

import type { Verifier } from '@m2m-guard/core'
import { type ObservedEvent, observeVerifier } from '@m2m-guard/core/observe'
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api'
import { FETCH_BUCKETS, METRICS, UNKNOWN_ISSUER, VERIFICATION_BUCKETS } from './names.js'

/** Records `verifier`'s metrics on `meter`; returns the function that stops. */
export function instrumentVerifier(verifier: Verifier, meter: Meter): () => void {
  const verifications = meter.createCounter(METRICS.verifications, {
    description:
      'Verification calls (verify, authenticate, authenticateRequest, authorize), by outcome and reason',
    unit: '{verification}',
  })
  const verificationDuration = meter.createHistogram(METRICS.verificationDuration, {
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
    const now = Date.now()
    for (const status of verifier.keyStatus().issuers) {
      if (status.fetchedAt !== undefined)
        result.observe((now - status.fetchedAt) / 1000, { issuer: status.issuer })
    }
  }
  age.addCallback(observeAge)

  const record = (event: ObservedEvent) => {
    switch (event.type) {
      case 'verification': {
        // Separate objects: the SDK may keep the one it is handed.
        const attributes: Attributes = { outcome: event.outcome, issuer: event.issuer ?? UNKNOWN_ISSUER }
        verificationDuration.record(event.durationMs / 1000, { ...attributes })
        if (event.reason !== undefined) attributes.reason = event.reason
        verifications.add(1, attributes)
        return
      }
      case 'keys_fetched':
      case 'keys_fetch_failed': {
        const attributes = {
          outcome: event.type === 'keys_fetched' ? 'success' : 'failure',
          issuer: event.issuer,
        }
        fetches.add(1, { ...attributes, trigger: event.trigger })
        fetchDuration.record(event.durationMs / 1000, attributes)
        return
      }
      case 'token_cache_hit':
        lookups.add(1, { hit: true })
        return
      case 'token_cache_miss':
        lookups.add(1, { hit: false })
        return
      default:
    }
  }
  const stop = observeVerifier(verifier, record)
  return () => {
    stop()
    age.removeCallback(observeAge)
  }
}
