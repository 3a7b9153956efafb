/**
 * instrument(tokenClient) with the real OpenTelemetry SDK against the local
 * issuer's token endpoint: successes and failures counted by outcome and
 * reason, another client's requests not counted, stop() ends recording.
 */
import { createTokenClient } from '@m2m-guard/client'
import { instrument, METRICS } from '@m2m-guard/otel'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createMetrics } from './helpers.js'

let issuer: AuthServer

beforeAll(async () => {
  issuer = await createAuthServer({
    audience: 'https://orders.example.com',
    clients: [{ clientId: 'reporting', clientSecret: 's3cret', scopes: ['orders:read'] }],
  })
})
afterAll(() => issuer.close())

function client() {
  return createTokenClient({
    issuer: issuer.issuer,
    clientId: 'reporting',
    clientSecret: 's3cret',
    scope: ['orders:read'],
    retry: false,
  })
}

it('counts token requests by outcome, for the instrumented client only', async () => {
  const otel = createMetrics()
  const mine = client()
  const other = client()
  const stop = instrument(mine, { meterProvider: otel.meterProvider })
  try {
    await mine.getToken()
    await mine.getToken() // cached: no request
    await other.getToken()
    issuer.setFault('token', 'status500') // an OAuth error body with a 500: reason oauth_error
    mine.invalidate()
    await expect(mine.getToken()).rejects.toThrow()
    issuer.clearFaults()
    await mine.getToken()
    stop()
    mine.invalidate()
    await mine.getToken()

    const { count, series } = await otel.collect()
    expect(count(METRICS.clientTokenRequests, { outcome: 'success' })).toBe(2)
    expect(count(METRICS.clientTokenRequests, { outcome: 'failure', reason: 'oauth_error' })).toBe(1)
    expect(series(METRICS.clientTokenRequests).sort()).toEqual([
      '{"outcome":"failure","reason":"oauth_error"}',
      '{"outcome":"success"}',
    ])
  } finally {
    stop()
    issuer.clearFaults()
    await otel.meterProvider.shutdown()
  }
})
