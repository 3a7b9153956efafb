/**
 * The table of verification attribute sets: one frozen set per outcome,
 * issuer and reason, handed out again on every lookup, and no more than
 * MAX_VERIFICATION_SERIES of them whatever arrives.
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { expect, it } from 'vitest'
import { BufferedCounter } from '../src/buffered-counter.js'
import { MAX_VERIFICATION_SERIES, VerificationSeriesTable } from '../src/verification-series.js'

function table() {
  const meter = new MeterProvider().getMeter('test')
  return new VerificationSeriesTable(new BufferedCounter(meter.createCounter('c')))
}

it('hands out one frozen series per outcome, issuer and reason, the histogram set shared per issuer', () => {
  const series = table()
  const accepted = series.get('accepted', 'https://a.example', undefined)
  expect(series.get('accepted', 'https://a.example', undefined)).toBe(accepted)
  expect(accepted?.count.attributes).toEqual({ outcome: 'accepted', issuer: 'https://a.example' })
  const expired = series.get('rejected', 'https://a.example', 'token_expired')
  const scope = series.get('rejected', 'https://a.example', 'insufficient_scope')
  expect(expired?.count.attributes).toEqual({
    outcome: 'rejected',
    issuer: 'https://a.example',
    reason: 'token_expired',
  })
  expect(Object.keys(expired?.count.attributes ?? {})).toEqual(['outcome', 'issuer', 'reason'])
  expect(expired?.duration).toBe(scope?.duration)
  expect(expired?.duration).toEqual({ outcome: 'rejected', issuer: 'https://a.example' })
  expect(expired?.duration).not.toBe(accepted?.duration)
  for (const attributes of [accepted?.duration, accepted?.count.attributes, expired?.count.attributes]) {
    expect(Object.isFrozen(attributes)).toBe(true)
  }
})

it('stops adding series at its bound and keeps answering for the ones it has', () => {
  const series = table()
  const first = series.get('rejected', 'issuer-0', 'token_expired')
  for (let i = 1; i < MAX_VERIFICATION_SERIES; i++) {
    expect(series.get('rejected', `issuer-${i}`, 'token_expired')).toBeDefined()
  }
  expect(series.get('rejected', 'one-too-many', 'token_expired')).toBeUndefined()
  expect(series.get('rejected', 'issuer-0', 'signature_invalid')).toBeUndefined()
  expect(series.get('other-outcome', 'issuer-0', undefined)).toBeUndefined()
  expect(series.get('rejected', 'issuer-0', 'token_expired')).toBe(first)
})
