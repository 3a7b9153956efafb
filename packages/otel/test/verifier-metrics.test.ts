/**
 * instrument(verifier) with the real OpenTelemetry SDK, over real HTTP
 * through the Express adapter and the local issuer: verifications counted
 * by outcome and reason, histograms filled, key fetches and key-set age,
 * token-cache lookups; a flood of forged tokens with random iss, kid and
 * client_id adds no series; stop() ends recording; the no-op default
 * attaches nothing.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createVerifier } from '@m2m-guard/core'
import { createGuard } from '@m2m-guard/express'
import { instrument, METRICS, UNKNOWN_ISSUER } from '@m2m-guard/otel'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { metrics } from '@opentelemetry/api'
import type { Histogram } from '@opentelemetry/sdk-metrics'
import express from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from './helpers.js'

const AUDIENCE = 'https://orders.example.com'
let issuer: AuthServer
const closers: (() => Promise<void> | void)[] = []

beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** An Express API on 127.0.0.1:0 guarded by `verifier`; returns its base URL. */
async function serve(verifier: ReturnType<typeof createVerifier>): Promise<string> {
  const app = express()
  const guard = createGuard({ verifier })
  app.get('/orders', guard.require({ scopes: ['orders:read'] }), (_req, res) => void res.json({ ok: true }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function get(base: string, token?: string): Promise<number> {
  const response = await fetch(`${base}/orders`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
  await response.arrayBuffer()
  return response.status
}

function setUp() {
  const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })
  const otel = createMetrics()
  const stop = instrument(verifier, { meterProvider: otel.meterProvider })
  closers.push(stop, () => otel.meterProvider.shutdown())
  return { verifier, otel, stop }
}

describe('instrument(verifier)', () => {
  it('counts verifications by outcome and reason over HTTP, and fills the histograms', async () => {
    const { verifier, otel } = setUp()
    const base = await serve(verifier)
    const good = await issuer.mint({ client_id: 'billing', scope: 'orders:read' })
    const writer = await issuer.mint({ client_id: 'billing', scope: 'orders:write' })
    const expired = await issuer.mint({ client_id: 'billing', scope: 'orders:read' }, { expiresIn: -600 })
    const statuses = [
      await get(base, good),
      await get(base, good),
      await get(base, good),
      await get(base, writer),
      await get(base, expired),
      await get(base),
    ]
    expect(statuses).toEqual([200, 200, 200, 403, 401, 401])

    const collected = await otel.collect()
    const { count } = collected
    const from = { issuer: issuer.issuer }
    expect(count(METRICS.verifications, { ...from, outcome: 'accepted' })).toBe(3)
    expect(count(METRICS.verifications, { ...from, outcome: 'rejected', reason: 'insufficient_scope' })).toBe(
      1,
    )
    expect(count(METRICS.verifications, { ...from, outcome: 'rejected', reason: 'token_expired' })).toBe(1)
    expect(
      count(METRICS.verifications, { issuer: UNKNOWN_ISSUER, outcome: 'rejected', reason: 'missing_token' }),
    ).toBe(1)
    const durations = collected.points(METRICS.verificationDuration).map((point) => point.value as Histogram)
    expect(durations.reduce((sum, histogram) => sum + histogram.count, 0)).toBe(6)
    for (const histogram of durations) expect(histogram.sum).toBeGreaterThan(0)
    expect(collected.series(METRICS.verificationDuration).sort()).toEqual(
      [
        JSON.stringify({ outcome: 'accepted', issuer: issuer.issuer }),
        JSON.stringify({ outcome: 'rejected', issuer: UNKNOWN_ISSUER }),
        JSON.stringify({ outcome: 'rejected', issuer: issuer.issuer }),
      ].sort(),
    )
    expect(count(METRICS.jwksFetches, { ...from, outcome: 'success', trigger: 'initial' })).toBe(1)
    const fetchDurations = collected
      .points(METRICS.jwksFetchDuration)
      .map((point) => point.value as Histogram)
    expect(fetchDurations.map((histogram) => histogram.count)).toEqual([1])
    expect(count(METRICS.tokenCacheLookups, { hit: true })).toBe(2)
    expect(count(METRICS.tokenCacheLookups, { hit: false })).toBe(3)
    const ages = collected.points(METRICS.jwksAge)
    expect(ages.map((point) => point.attributes)).toEqual([{ issuer: issuer.issuer }])
    expect(ages[0]?.value).toBeGreaterThanOrEqual(0)
  })

  it('records JWKS fetch failures by trigger', async () => {
    const { verifier, otel } = setUp()
    const base = await serve(verifier)
    issuer.setFault('jwks', 'status500')
    closers.push(() => issuer.clearFaults())
    expect(await get(base, await issuer.mint())).toBe(503)
    const { count } = await otel.collect()
    expect(
      count(METRICS.jwksFetches, { issuer: issuer.issuer, outcome: 'failure', trigger: 'initial' }),
    ).toBe(1)
    expect(count(METRICS.verifications, { reason: 'keys_unavailable', outcome: 'rejected' })).toBe(1)
  })

  it('adds no series for a flood of forged tokens with random iss, kid and client_id', async () => {
    const { verifier, otel } = setUp()
    const base = await serve(verifier)
    const forge = () => {
      const random = randomUUID()
      return Promise.all([
        issuer.mint({ iss: `https://${random}.example`, client_id: random }, { kid: random }),
        issuer.mint({ client_id: random }, { key: 'foreign', kid: random }),
        issuer.mint({ client_id: random, scope: random }, { key: 'foreign' }),
      ])
    }
    await get(base, await issuer.mint({ scope: 'orders:read' }))
    for (const token of await forge()) expect(await get(base, token)).toBe(401)
    const names = Object.values(METRICS)
    const before = await otel.collect()
    const seriesBefore = names.map((name) => before.series(name).sort())
    const randoms: string[] = []
    for (let i = 0; i < 30; i++) {
      const tokens = await forge()
      for (const token of tokens) expect(await get(base, token)).toBe(401)
      randoms.push(...tokens.map((token) => JSON.parse(atob(token.split('.')[1] as string)).client_id))
    }
    const after = await otel.collect()
    expect(names.map((name) => after.series(name).sort())).toEqual(seriesBefore)
    const labels = names.flatMap((name) => after.series(name)).join('\n')
    for (const random of randoms) expect(labels).not.toContain(random)
    expect(after.count(METRICS.verifications, { outcome: 'rejected' })).toBe(
      before.count(METRICS.verifications, { outcome: 'rejected' }) + 90,
    )
  })

  it('stops recording when the returned function is called', async () => {
    const { verifier, otel, stop } = setUp()
    const base = await serve(verifier)
    const token = await issuer.mint({ scope: 'orders:read' })
    await get(base, token)
    stop()
    await get(base, token)
    const { count, points } = await otel.collect()
    expect(count(METRICS.verifications)).toBe(1)
    expect(points(METRICS.jwksAge)).toEqual([])
  })

  it('uses the global meter provider, and attaches nothing while it is the no-op one', async () => {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })
    const base = await serve(verifier)
    const before = instrument(verifier) // the API's no-op provider: nothing to record into
    const otel = createMetrics()
    metrics.setGlobalMeterProvider(otel.meterProvider)
    closers.push(
      () => metrics.disable(),
      () => otel.meterProvider.shutdown(),
    )
    await get(base, await issuer.mint({ scope: 'orders:read' }))
    expect((await otel.collect()).count(METRICS.verifications)).toBe(0)
    const stop = instrument(verifier)
    closers.push(stop, before)
    await get(base, await issuer.mint({ scope: 'orders:read' }))
    expect((await otel.collect()).count(METRICS.verifications, { outcome: 'accepted' })).toBe(1)
  })

  it('refuses what it cannot instrument, naming it', () => {
    expect(() => instrument({} as never)).toThrow(/the target must be a verifier/)
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })
    expect(() => instrument(verifier, { meterProvider: {} as never })).toThrow(
      /"meterProvider" must be a MeterProvider/,
    )
  })
})
