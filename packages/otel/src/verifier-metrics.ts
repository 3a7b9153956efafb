/**
 * A verifier's events as OpenTelemetry metrics. Attribute values come only
 * from the configuration (the issuer profile's id, the fetch trigger) and
 * from core's fixed vocabularies (outcome, reason): nothing a forged token
 * says reaches a label, so a flood of them adds no series.
 */

import type { Verifier } from '@m2m-guard/core'
import { type ObservedEvent, observeVerifier } from '@m2m-guard/core/observe'
import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api'
import { BufferedCounter } from './buffered-counter.js'
import { FETCH_BUCKETS, METRICS, UNKNOWN_ISSUER, VERIFICATION_BUCKETS } from './names.js'
import { VerificationSeriesTable } from './verification-series.js'

/** Records `verifier`'s metrics on `meter`; returns the function that stops. */
export function instrumentVerifier(verifier: Verifier, meter: Meter): () => void {
  const verificationCounter = meter.createCounter(METRICS.verifications, {
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
  const lookups = new BufferedCounter(
    meter.createCounter(METRICS.tokenCacheLookups, {
      description: 'Verified-token cache lookups, by hit',
      unit: '{lookup}',
    }),
  )
  const hit = lookups.series({ hit: true })
  const miss = lookups.series({ hit: false })
  const verifications = new BufferedCounter(verificationCounter)
  const series = new VerificationSeriesTable(verifications)
  const age = meter.createObservableGauge(METRICS.jwksAge, {
    description: 'Time since each issuer key set was fetched (grows while the issuer is unreachable)',
    unit: 's',
  })

  // The SDK runs observable callbacks first at every collection: the counters' pending increments
  // reach it just before it reads them (buffered-counter.ts).
  const observeAge = (result: ObservableResult) => {
    verifications.flush()
    lookups.flush()
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
        const issuer = event.issuer ?? UNKNOWN_ISSUER
        const known = series.get(event.outcome, issuer, event.reason)
        if (known !== undefined) {
          // The SDK keeps the first attribute object of a series and never changes it: reusing frozen ones is safe.
          verificationDuration.record(event.durationMs / 1000, known.duration)
          verifications.add(known.count)
          return
        }
        // Past the table's bound (never with fixed vocabularies): objects of its own, straight to the SDK.
        const attributes: Attributes = { outcome: event.outcome, issuer }
        verificationDuration.record(event.durationMs / 1000, { ...attributes })
        if (event.reason !== undefined) attributes.reason = event.reason
        verificationCounter.add(1, attributes)
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
        lookups.add(hit)
        return
      case 'token_cache_miss':
        lookups.add(miss)
        return
      default:
    }
  }
  const stop = observeVerifier(verifier, record)
  return () => {
    stop()
    // What was counted until now stays recorded, as an SDK counter's adds do.
    verifications.flush()
    lookups.flush()
    age.removeCallback(observeAge)
  }
}
