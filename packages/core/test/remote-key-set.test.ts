/**
 * The remote key set, through the public verifier, against a real JWKS server
 * on 127.0.0.1: one fetch however many requests wait, cooldowns against kid
 * floods, rotation, stale-if-error, timeouts, hostile responses, Cache-Control,
 * key validation and redirects. Time moves by an injected clock, never by sleep.
 */
import { generateKeyPairSync, type KeyObject, sign as nodeSign } from 'node:crypto'
import { exportJWK } from 'jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { AuthError, createVerifier, type Verifier, type VerifierOptions } from '../src/index.js'
import {
  AUDIENCE,
  createClock,
  type EventLog,
  generateTestKey,
  type JwksServer,
  recordEvents,
  startJwksServer,
  type TestClock,
  type TestKey,
  tokenClaims,
} from './helpers/jwks-server.js'

const COOLDOWN = 30_000
const servers: JwksServer[] = []
let clock: TestClock
let log: EventLog
let rsa: TestKey
let ec: TestKey
let forger: TestKey

beforeAll(async () => {
  ;[rsa, ec, forger] = await Promise.all([
    generateTestKey('RS256', 'rsa-main'),
    generateTestKey('ES256', 'ec-main'),
    generateTestKey('ES256', 'forger'),
  ])
})

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(keys: (TestKey | 'RS256' | 'PS256' | 'ES256' | 'EdDSA')[] = [ec]): Promise<JwksServer> {
  const server = await startJwksServer({ keys })
  servers.push(server)
  clock = createClock()
  log = recordEvents()
  return server
}

function verifierFor(server: JwksServer, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    clock,
    onEvent: log.onEvent,
    ...options,
  })
}

function sign(server: JwksServer, overrides: Record<string, unknown> = {}, key?: TestKey): Promise<string> {
  return server.sign(overrides, { nowMs: clock(), ...(key === undefined ? {} : { key }) })
}

/** A token for a kid the server does not publish, signed by a key it does not know. */
function forged(server: JwksServer, kid: string): Promise<string> {
  return server.sign({}, { nowMs: clock(), key: forger, kid })
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthError) return error
    throw error
  }
  throw new Error('the token was accepted')
}

async function expectUnavailable(promise: Promise<unknown>): Promise<AuthError> {
  const error = await rejection(promise)
  expect(error.status).toBe(503)
  expect(error.reason).toBe('keys_unavailable')
  expect(error.retryAfter).toBeGreaterThanOrEqual(1)
  expect(error.headers['Retry-After']).toBe(String(error.retryAfter))
  expect(error.wwwAuthenticate).toBeUndefined()
  return error
}

describe('fetching', () => {
  it('verifies RS256, PS256, ES256 and EdDSA tokens with one fetch of the set', async () => {
    const keys = await Promise.all(
      (['RS256', 'PS256', 'ES256', 'EdDSA'] as const).map((alg) => generateTestKey(alg)),
    )
    const server = await start(keys)
    const verifier = verifierFor(server)
    for (const key of keys) {
      const auth = await verifier.verify(await sign(server, {}, key))
      expect(auth.header).toMatchObject({ alg: key.alg, kid: key.kid })
    }
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('keys_fetched')).toEqual([
      {
        type: 'keys_fetched',
        issuer: server.issuer,
        uri: server.jwksUri,
        durationMs: 0,
        keyCount: 4,
        trigger: 'initial',
      },
    ])
  })

  it('is lazy: creating a verifier fetches nothing', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    expect(server.count()).toBe(0)
    const status = {
      ready: false,
      fresh: false,
      keyCount: 0,
      fetchedAt: undefined,
      freshUntil: undefined,
      lastError: undefined,
      jwksUri: server.jwksUri,
    }
    expect(verifier.keyStatus()).toEqual({
      ...status,
      issuers: [{ issuer: server.issuer, ...status }],
      notReady: [server.issuer],
    })
  })

  it('100 concurrent cold verifications of the same token make exactly one JWKS fetch', async () => {
    const server = await start([rsa])
    const verifier = verifierFor(server)
    const token = await sign(server)
    const results = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(token)))
    expect(results.every((auth) => auth.clientId === 'billing')).toBe(true)
    expect(server.count('/jwks')).toBe(1)
    expect(server.count()).toBe(1)
    expect(log.of('keys_fetched')).toHaveLength(1)
  })

  it('warmUp() fetches once, keyStatus() reports it, and the first request does not fetch again', async () => {
    const server = await start([rsa, ec])
    const verifier = verifierFor(server)
    const t0 = clock()
    await verifier.warmUp()
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('keys_fetched')[0]?.trigger).toBe('warm_up')
    const status = {
      ready: true,
      fresh: true,
      keyCount: 2,
      fetchedAt: t0,
      freshUntil: t0 + 600_000,
      lastError: undefined,
      jwksUri: server.jwksUri,
    }
    expect(verifier.keyStatus()).toEqual({
      ...status,
      issuers: [{ issuer: server.issuer, ...status }],
      notReady: [],
    })
    await verifier.verify(await sign(server, {}, rsa))
    await verifier.verify(await sign(server, {}, ec))
    expect(server.count('/jwks')).toBe(1)
  })

  it('warmUp() and requests arriving together share one fetch', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    const token = await sign(server)
    await Promise.all([verifier.warmUp(), verifier.verify(token), verifier.warmUp(), verifier.verify(token)])
    expect(server.count('/jwks')).toBe(1)
  })

  it('warmUp() rejects with a 503 when the keys cannot be had, and keyStatus() says why', async () => {
    const server = await start()
    server.behave('down')
    const verifier = verifierFor(server)
    const error = await expectUnavailable(verifier.warmUp())
    expect(error.message).toContain('answered HTTP 500')
    expect(verifier.keyStatus()).toMatchObject({ ready: false, fresh: false, keyCount: 0 })
    expect(verifier.keyStatus().lastError).toContain('answered HTTP 500')
  })
})

describe('unknown kids and the cooldown', () => {
  it('500 tokens with random kids make at most one refetch per cooldown; a cached kid keeps working', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    await verifier.warmUp()
    clock.advance(COOLDOWN)
    const flood = await Promise.all(
      Array.from({ length: 500 }, (_, index) => forged(server, `forged-${index}-${Math.random()}`)),
    )
    const legit = await Promise.all(Array.from({ length: 20 }, () => sign(server)))
    const outcomes = await Promise.allSettled([
      ...flood.map((token) => verifier.verify(token)),
      ...legit.map((token) => verifier.verify(token)),
    ])
    const rejected = outcomes.slice(0, 500)
    expect(rejected.every((outcome) => outcome.status === 'rejected')).toBe(true)
    for (const outcome of rejected) {
      const error = (outcome as PromiseRejectedResult).reason as AuthError
      expect(error.status).toBe(401)
      expect(error.reason).toBe('unknown_key')
    }
    expect(outcomes.slice(500).every((outcome) => outcome.status === 'fulfilled')).toBe(true)
    // One at warm-up, one for the whole flood.
    expect(server.count('/jwks')).toBe(2)
    expect(log.of('keys_fetched').map((event) => event.trigger)).toEqual(['warm_up', 'unknown_kid'])

    // Sequential forged kids within the cooldown: no more fetches, and the known kid still verifies.
    for (let index = 0; index < 50; index++) {
      clock.advance(100)
      expect((await rejection(verifier.verify(await forged(server, `later-${index}`)))).reason).toBe(
        'unknown_key',
      )
      await verifier.verify(await sign(server))
    }
    expect(server.count('/jwks')).toBe(2)
  })

  it('500 random kids from cold make a single fetch', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    const flood = await Promise.all(
      Array.from({ length: 500 }, (_, index) => forged(server, `cold-${index}`)),
    )
    const outcomes = await Promise.allSettled(flood.map((token) => verifier.verify(token)))
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toHaveLength(500)
    expect(server.count('/jwks')).toBeLessThanOrEqual(2)
    expect(server.count('/jwks')).toBe(1)
  })

  it('an unknown kid refetches again once the cooldown has passed', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    await verifier.warmUp()
    await rejection(verifier.verify(await forged(server, 'a')))
    expect(server.count('/jwks')).toBe(1) // same instant as the warm-up: within the cooldown
    clock.advance(COOLDOWN - 1)
    await rejection(verifier.verify(await forged(server, 'b')))
    expect(server.count('/jwks')).toBe(1)
    clock.advance(1)
    await rejection(verifier.verify(await forged(server, 'c')))
    expect(server.count('/jwks')).toBe(2)
    clock.advance(COOLDOWN)
    await rejection(verifier.verify(await forged(server, 'd')))
    expect(server.count('/jwks')).toBe(3)
    expect(log.of('keys_fetched').map((event) => event.trigger)).toEqual([
      'warm_up',
      'unknown_kid',
      'unknown_kid',
    ])
  })

  it('a known kid with an algorithm its key does not allow does not refetch', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server)
    await verifier.warmUp()
    clock.advance(COOLDOWN)
    const token = await server.sign({}, { nowMs: clock(), key: rsa, kid: ec.kid })
    expect((await rejection(verifier.verify(token))).reason).toBe('unknown_key')
    expect(server.count('/jwks')).toBe(1)
  })
})

describe('rotation', () => {
  it('a new kid is picked up after the cooldown', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server)
    await verifier.warmUp()
    const next = await server.addKey('EdDSA', 'next')
    const token = await sign(server, {}, next)
    // Within the cooldown of the warm-up the new kid cannot be fetched yet.
    clock.advance(1_000)
    expect((await rejection(verifier.verify(token))).reason).toBe('unknown_key')
    clock.advance(COOLDOWN)
    const auth = await verifier.verify(token)
    expect(auth.header.kid).toBe('next')
    expect(server.count('/jwks')).toBe(2)
    expect(verifier.keyStatus().keyCount).toBe(2)
  })

  it("a removed key's cached tokens stop passing once the set is refetched; kept keys' tokens stay cached", async () => {
    const server = await start([rsa, ec])
    const verifier = verifierFor(server)
    const fromRsa = await sign(server, { exp: Math.floor(clock() / 1000) + 3600 }, rsa)
    const fromEc = await sign(server, { exp: Math.floor(clock() / 1000) + 3600 }, ec)
    await verifier.verify(fromRsa)
    await verifier.verify(fromEc)
    await verifier.verify(fromRsa)
    expect(log.of('token_cache_hit')).toHaveLength(1)

    server.removeKey(rsa.kid)
    const newcomer = await server.addKey('ES256', 'newcomer')
    clock.advance(COOLDOWN)
    await verifier.verify(await sign(server, {}, newcomer)) // unknown kid: refetch
    expect(server.count('/jwks')).toBe(2)

    log.clear()
    const error = await rejection(verifier.verify(fromRsa))
    expect(error.status).toBe(401)
    expect(error.reason).toBe('unknown_key')
    expect(log.of('token_cache_hit')).toHaveLength(0)
    expect(log.of('token_cache_miss')).toHaveLength(1)

    log.clear()
    await verifier.verify(fromEc)
    expect(log.of('token_cache_hit')).toHaveLength(1)
    expect(log.of('token_verified')).toHaveLength(0)
  })

  it('a key republished under another alg verifies only that alg from then on, cached tokens included', async () => {
    const server = await start([rsa])
    const verifier = verifierFor(server)
    const cached = await sign(server, { exp: Math.floor(clock() / 1000) + 3600 }, rsa)
    await verifier.verify(cached)
    // The issuer restricts the same key (same kid and material) to PS256.
    server.setJwksBody({ keys: [{ ...rsa.publicJwk, alg: 'PS256' }] })
    clock.advance(COOLDOWN)
    await rejection(verifier.verify(await forged(server, 'unknown'))) // unknown kid: refetch
    expect(server.count('/jwks')).toBe(2)
    expect((await rejection(verifier.verify(await sign(server, {}, rsa)))).reason).toBe('unknown_key')
    expect((await rejection(verifier.verify(cached))).reason).toBe('unknown_key')
  })

  it('reused tokens alone keep the key set fresh: a key removed at the issuer stops passing', async () => {
    const server = await start([rsa, ec])
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000 } })
    const reused = await sign(server, { exp: Math.floor(clock() / 1000) + 3600 }, rsa)
    await verifier.verify(reused)
    server.removeKey(rsa.kid)
    clock.advance(60_000)
    // Only the cached token arrives: its hit, past the set's max-age, starts the refresh.
    await verifier.verify(reused)
    await vi.waitFor(() => expect(log.of('keys_fetched')).toHaveLength(2))
    expect(log.of('keys_fetched')[1]).toMatchObject({ trigger: 'expired', keyCount: 1 })
    expect((await rejection(verifier.verify(reused))).reason).toBe('unknown_key')
    expect(server.count('/jwks')).toBe(2)
  })

  it('cache hits within the max-age fetch nothing', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000 } })
    const reused = await sign(server, {}, ec)
    for (let request = 0; request < 50; request++) await verifier.verify(reused)
    clock.advance(59_000)
    await verifier.verify(reused)
    expect(server.count('/jwks')).toBe(1)
  })

  it('a token from a new key arriving just as the set expires waits for the refresh it triggers', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000 } })
    await verifier.warmUp()
    const next = await server.addKey('ES256', 'rotated-in')
    clock.advance(60_000)
    const outcomes = await Promise.allSettled([
      verifier.verify(await sign(server, {}, next)),
      verifier.verify(await sign(server, {}, next)),
      verifier.verify(await sign(server, {}, ec)),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    expect(server.count('/jwks')).toBe(2)
    expect(log.of('keys_fetched').map((event) => event.trigger)).toEqual(['warm_up', 'expired'])
  })

  it('forged kids joining an in-flight refresh make no fetch of their own', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000 } })
    await verifier.warmUp()
    clock.advance(60_000)
    const flood = await Promise.all(Array.from({ length: 200 }, (_, index) => forged(server, `f${index}`)))
    const outcomes = await Promise.allSettled(flood.map((token) => verifier.verify(token)))
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected')
      expect(((outcome as PromiseRejectedResult).reason as AuthError).reason).toBe('unknown_key')
    }
    expect(server.count('/jwks')).toBe(2)
  })

  it('an expired set is refetched in the background and picks up the rotation', async () => {
    const server = await start([rsa])
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000 } })
    await verifier.warmUp()
    server.removeKey(rsa.kid)
    server.publish(ec)
    clock.advance(60_000)
    // Stale keys serve this request while the refresh runs.
    await verifier.verify(await sign(server, {}, rsa))
    await vi.waitFor(() => expect(log.of('keys_fetched')).toHaveLength(2))
    expect(log.of('keys_fetched')[1]).toMatchObject({ trigger: 'expired', keyCount: 1 })
    await verifier.verify(await sign(server, {}, ec))
    expect((await rejection(verifier.verify(await sign(server, {}, rsa)))).reason).toBe('unknown_key')
    expect(server.count('/jwks')).toBe(2)
  })
})

describe('when the issuer is unreachable', () => {
  it('a refresh the runtime dropped (it never settles) does not wedge the key set', async () => {
    // workerd cancels what a request leaves running once its response is sent,
    // timers included: a background refresh can stay pending for ever.
    const server = await start()
    let calls = 0
    const dropping: typeof fetch = (input, init) => {
      calls++
      return calls === 2 ? new Promise<Response>(() => {}) : fetch(input, init)
    }
    const timeout = 60_000 // the fetch's own timer must not settle it during the test
    const verifier = verifierFor(server, { fetch: dropping, jwksCache: { maxAge: 60_000, timeout } })
    await verifier.warmUp()
    clock.advance(61_000) // stale: this request starts the refresh that is dropped
    await verifier.verify(await sign(server))
    expect(calls).toBe(2)

    clock.advance(COOLDOWN) // within twice the timeout: the pending refresh may still answer
    await verifier.verify(await sign(server))
    expect(calls).toBe(2)

    clock.advance(2 * timeout) // long past its timeout: it will not, so a new one starts
    await verifier.verify(await sign(server))
    expect(calls).toBe(3)
    await vi.waitFor(() => expect(log.of('keys_fetched')).toHaveLength(2))
    expect(verifier.keyStatus()).toMatchObject({ fresh: true, lastError: undefined })
  })

  // A refused connection; or, on a kept-alive socket the server dropped, "other side closed".
  const failures = {
    down: /answered HTTP 500/,
    refused: /could not be fetched: fetch failed \((connect ECONNREFUSED|other side closed)/,
  }
  it.each(['down', 'refused'] as const)(
    'after warm-up (%s), keys keep serving within the stale window, then 503',
    async (mode) => {
      const unreachable = failures[mode]
      const server = await start()
      const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000, staleIfError: 600_000 } })
      const t0 = clock()
      await verifier.warmUp()
      const longLived = await sign(server, { exp: Math.floor(t0 / 1000) + 7200 })
      await verifier.verify(longLived)
      if (mode === 'down') server.behave('down')
      else await server.refuse()

      clock.advance(61_000) // past max-age, within staleIfError
      await verifier.verify(await sign(server))
      await vi.waitFor(() => expect(log.of('keys_stale')).toHaveLength(1))
      expect(log.of('keys_stale')[0]?.ageMs).toBe(61_000)
      const failure = log.of('keys_fetch_failed')
      expect(failure).toHaveLength(1)
      expect(failure[0]?.trigger).toBe('expired')
      expect(failure[0]?.error).toMatch(unreachable)
      expect(verifier.keyStatus()).toMatchObject({ ready: true, fresh: false, keyCount: 1 })
      expect(verifier.keyStatus().lastError).toBe(failure[0]?.error)

      // Through the window: every request passes, and the issuer is asked at most once per cooldown.
      for (let step = 0; step < 50; step++) {
        clock.advance(10_000)
        await verifier.verify(await sign(server))
        await verifier.verify(longLived)
      }
      await vi.waitFor(() => expect(log.of('keys_fetch_failed')).toHaveLength(17))
      if (mode === 'down') expect(server.count('/jwks')).toBe(18)

      // Past staleIfError: the keys are gone, and so are the tokens they verified.
      clock.set(t0 + 60_000 + 600_000)
      expect(verifier.keyStatus().ready).toBe(false)
      // The cached token first: its cache entry must not outlive the keys' usable window.
      for (const token of [longLived, await sign(server)]) {
        const error = await expectUnavailable(verifier.verify(token))
        expect(error.message).toMatch(unreachable)
      }
    },
  )

  it('from cold with the issuer down: 503 with Retry-After, one fetch per cooldown however many requests', async () => {
    const server = await start()
    server.behave('down')
    const verifier = verifierFor(server)
    const token = await sign(server)
    const errors = await Promise.all(
      Array.from({ length: 50 }, () => expectUnavailable(verifier.verify(token))),
    )
    expect(errors.every((error) => error.retryAfter === 30)).toBe(true)
    expect(server.count('/jwks')).toBe(1)

    for (let step = 1; step <= 29; step++) {
      clock.advance(1_000)
      const error = await expectUnavailable(verifier.verify(token))
      expect(error.retryAfter).toBe(30 - step)
    }
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('keys_fetch_failed')).toHaveLength(1)
    expect(log.of('token_rejected').every((event) => event.status === 503)).toBe(true)

    clock.advance(1_000)
    await expectUnavailable(verifier.verify(token))
    expect(server.count('/jwks')).toBe(2)
  })

  it('from cold with the connection refused: 503, one attempt per cooldown', async () => {
    const server = await start()
    await server.refuse()
    let attempts = 0
    const verifier = verifierFor(server, {
      fetch: (input, init) => {
        attempts++
        return fetch(input, init)
      },
    })
    const token = await sign(server)
    await Promise.all(Array.from({ length: 20 }, () => expectUnavailable(verifier.verify(token))))
    expect(attempts).toBe(1)
    expect(log.of('keys_fetch_failed')[0]?.error).toContain('ECONNREFUSED')
    expect(log.of('keys_fetch_failed')[0]?.error).toContain(server.jwksUri)
  })

  it('recovers by itself when the issuer comes back, after the cooldown', async () => {
    const server = await start()
    await server.refuse()
    const verifier = verifierFor(server)
    const token = await sign(server)
    await expectUnavailable(verifier.verify(token))
    await server.restore()
    clock.advance(COOLDOWN - 1)
    await expectUnavailable(verifier.verify(token))
    expect(server.count('/jwks')).toBe(0)
    clock.advance(1)
    expect((await verifier.verify(token)).clientId).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(verifier.keyStatus()).toMatchObject({ ready: true, fresh: true, lastError: undefined })
  })

  it('past the stale window, an issuer back up restores service on the next request', async () => {
    const server = await start()
    const verifier = verifierFor(server, { jwksCache: { maxAge: 60_000, staleIfError: 120_000 } })
    await verifier.warmUp()
    server.behave('down')
    clock.advance(60_000 + 120_000)
    await expectUnavailable(verifier.verify(await sign(server)))
    expect(verifier.keyStatus()).toMatchObject({ ready: false, keyCount: 0 })
    server.behave('normal')
    clock.advance(COOLDOWN)
    expect((await verifier.verify(await sign(server))).clientId).toBe('billing')
    expect(verifier.keyStatus()).toMatchObject({
      ready: true,
      fresh: true,
      keyCount: 1,
      lastError: undefined,
    })
    expect(server.count('/jwks')).toBe(3)
  })

  it('a server that never answers gives 503 within the timeout, with one request', async () => {
    const server = await start()
    server.behave('hang')
    const verifier = verifierFor(server, { jwksCache: { timeout: 200 } })
    const token = await sign(server)
    const started = performance.now()
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => expectUnavailable(verifier.verify(token))),
    )
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(150)
    expect(elapsed).toBeLessThan(200 + 800)
    expect(errors[0]?.message).toContain('timed out after 200 ms')
    expect(log.of('keys_fetch_failed')[0]?.error).toContain('timed out after 200 ms')
    expect(server.count('/jwks')).toBe(1)
  })

  it('a server that resets the connection gives 503', async () => {
    const server = await start()
    server.behave('reset')
    const verifier = verifierFor(server)
    await expectUnavailable(verifier.verify(await sign(server)))
    expect(log.of('keys_fetch_failed')[0]?.error).toContain(server.jwksUri)
  })

  it('a server that sends headers and then stalls gives 503 within the timeout', async () => {
    const server = await start()
    server.behave('stall')
    const verifier = verifierFor(server, { jwksCache: { timeout: 200 } })
    const started = performance.now()
    await expectUnavailable(verifier.verify(await sign(server)))
    expect(performance.now() - started).toBeLessThan(200 + 800)
    expect(log.of('keys_fetch_failed')[0]?.error).toBe(`${server.jwksUri} timed out after 200 ms`)
  })

  it('a slow server within the timeout is waited for', async () => {
    const server = await start()
    server.behave({ slowMs: 50 })
    const verifier = verifierFor(server, { jwksCache: { timeout: 2_000 } })
    expect((await verifier.verify(await sign(server))).clientId).toBe('billing')
  })

  it('a slow server past the timeout gives 503', async () => {
    const server = await start()
    server.behave({ slowMs: 1_000 })
    const verifier = verifierFor(server, { jwksCache: { timeout: 100 } })
    await expectUnavailable(verifier.verify(await sign(server)))
    expect(log.of('keys_fetch_failed')[0]?.error).toContain('timed out after 100 ms')
  })
})

describe('hostile or broken responses: a clear error, a 503, no crash', () => {
  const manyKeys = (count: number) => ({
    keys: Array.from({ length: count }, (_, index) => ({ ...ec.publicJwk, kid: `k${index}` })),
  })
  const cases: [string, (server: JwksServer) => void, RegExp, Partial<VerifierOptions>?][] = [
    ['garbage', (server) => server.behave('garbage'), /did not answer with valid JSON/],
    ['an HTML page', (server) => server.behave('html'), /did not answer with valid JSON/],
    ['an empty body', (server) => server.setJwksBody(''), /did not answer with valid JSON/],
    [
      'an oversized body (streamed)',
      (server) => server.behave({ oversized: 1024 * 1024 }),
      /response exceeds the 262144-byte cap/,
    ],
    [
      'an oversized body (declared)',
      (server) => server.behave({ oversized: 1024 * 1024, declareLength: true }),
      /response of 1048576 bytes exceeds the 262144-byte cap/,
    ],
    [
      'thousands of keys',
      (server) => server.setJwksBody(manyKeys(5_000)),
      /key set has 5000 keys, more than the 100 allowed/,
      { jwksCache: { maxResponseBytes: 4 * 1024 * 1024 } },
    ],
    [
      'a gzip bomb (capped after decompression)',
      (server) => server.behave({ gzipBomb: 16 * 1024 * 1024 }),
      /response exceeds the 262144-byte cap/,
    ],
    ['a JSON object without keys', (server) => server.setJwksBody({ foo: 1 }), /no "keys" array/],
    ['a JSON array', (server) => server.setJwksBody([ec.publicJwk]), /no "keys" array/],
    ['"keys" that is not an array', (server) => server.setJwksBody({ keys: {} }), /no "keys" array/],
    ['an empty key set', (server) => server.setJwksBody({ keys: [] }), /no usable signing key/],
    ['a 404', (server) => server.behave({ status: 404 }), /answered HTTP 404/],
  ]

  it.each(cases)('%s', async (_name, misbehave, message, options = {}) => {
    const server = await start()
    misbehave(server)
    const verifier = verifierFor(server, options)
    const token = await sign(server)
    const error = await expectUnavailable(verifier.verify(token))
    expect(error.message).toMatch(message)
    const failures = log.of('keys_fetch_failed')
    expect(failures).toHaveLength(1)
    expect(failures[0]?.error).toMatch(message)
    expect(failures[0]?.uri).toBe(server.jwksUri)
    expect(verifier.keyStatus().lastError).toMatch(message)
    // Nothing leaked into the key set, and it recovers once the server behaves.
    server.behave('normal')
    server.setJwksBody(undefined)
    clock.advance(COOLDOWN)
    expect((await verifier.verify(token)).clientId).toBe('billing')
    expect(verifier.keyStatus()).toMatchObject({ keyCount: 1, lastError: undefined })
  })

  it('the size cap and the key count cap are inclusive', async () => {
    const server = await start()
    const body = JSON.stringify(manyKeys(100))
    server.setJwksBody(body)
    const exact = verifierFor(server, { jwksCache: { maxResponseBytes: body.length } })
    await exact.warmUp()
    expect(exact.keyStatus().keyCount).toBe(100)
    const under = verifierFor(server, { jwksCache: { maxResponseBytes: body.length - 1 } })
    await expectUnavailable(under.warmUp())
    const fewer = verifierFor(server, { jwksCache: { maxResponseBytes: body.length, maxKeys: 99 } })
    expect((await expectUnavailable(fewer.warmUp())).message).toMatch(/100 keys, more than the 99 allowed/)
  })

  it('a broken refetch keeps the previous keys', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    await verifier.warmUp()
    server.behave('garbage')
    clock.advance(COOLDOWN)
    expect((await rejection(verifier.verify(await forged(server, 'x')))).status).toBe(503)
    expect((await verifier.verify(await sign(server))).clientId).toBe('billing')
    expect(verifier.keyStatus()).toMatchObject({ ready: true, fresh: true, keyCount: 1 })
  })
})

describe('Cache-Control', () => {
  it.each([
    ['max-age=120', 120_000],
    ['public, max-age=3600, must-revalidate', 3_600_000],
    ['max-age="900"', 900_000],
    ['max-age=1', COOLDOWN],
    ['max-age=604800', 86_400_000],
    ['no-cache', COOLDOWN],
    ['no-store', COOLDOWN],
    ['private, no-cache, max-age=3600', COOLDOWN],
    ['s-maxage=100', 600_000],
    [undefined, 600_000],
  ])('%s: fresh for %i ms', async (cacheControl, freshFor) => {
    const server = await start()
    server.cacheControl = cacheControl
    const verifier = verifierFor(server)
    await verifier.warmUp()
    const { fetchedAt, freshUntil } = verifier.keyStatus()
    expect(fetchedAt).toBe(clock())
    expect((freshUntil as number) - (fetchedAt as number)).toBe(freshFor)
  })

  it('max-age is honoured: no fetch before it, a refresh at it', async () => {
    const server = await start()
    server.cacheControl = 'max-age=120'
    const verifier = verifierFor(server)
    await verifier.warmUp()
    clock.advance(119_999)
    await verifier.verify(await sign(server))
    expect(server.count('/jwks')).toBe(1)
    clock.advance(1)
    expect(verifier.keyStatus().fresh).toBe(false)
    await verifier.verify(await sign(server))
    await vi.waitFor(() => expect(log.of('keys_fetched')).toHaveLength(2))
    expect(server.count('/jwks')).toBe(2)
    expect(verifier.keyStatus()).toMatchObject({ fresh: true, freshUntil: clock() + 120_000 })
  })

  it('no-cache: the set is refetched once the cooldown has passed', async () => {
    const server = await start()
    server.cacheControl = 'no-cache'
    const verifier = verifierFor(server)
    await verifier.warmUp()
    clock.advance(COOLDOWN - 1)
    await verifier.verify(await sign(server))
    expect(server.count('/jwks')).toBe(1)
    clock.advance(1)
    await verifier.verify(await sign(server))
    await vi.waitFor(() => expect(server.count('/jwks')).toBe(2))
  })

  it('the configured maxAge applies without Cache-Control', async () => {
    const server = await start()
    const verifier = verifierFor(server, { jwksCache: { maxAge: 45_000 } })
    await verifier.warmUp()
    expect(verifier.keyStatus().freshUntil).toBe(clock() + 45_000)
  })
})

describe('key validation', () => {
  function rsaKeyPair(bits: number): { privateKey: KeyObject; jwk: Record<string, unknown> } {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
    return { privateKey, jwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown> }
  }

  /** RS256 by hand: jose refuses to sign with an RSA key under 2048 bits. */
  function signRs256(privateKey: KeyObject, kid: string | undefined, claims: object): string {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${b64({ alg: 'RS256', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) })}.${b64(claims)}`
    return `${input}.${nodeSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
  }

  it('skips enc keys, private keys, small RSA, symmetric and unknown key types; they never verify', async () => {
    const server = await start([ec])
    const encryption = await generateTestKey('RS256', 'enc-1')
    const withPrivate = await generateTestKey('RS256', 'private-1')
    const wrapOnly = await generateTestKey('RS256', 'ops-1')
    const small = rsaKeyPair(1024)
    server.extraJwks = [
      { ...encryption.publicJwk, use: 'enc', alg: undefined },
      { ...(await exportJWK(withPrivate.privateKey)), kid: 'private-1', alg: 'RS256', use: 'sig' },
      { ...wrapOnly.publicJwk, use: undefined, key_ops: ['wrapKey'] },
      { ...small.jwk, kid: 'small-1', alg: 'RS256' },
      { kty: 'oct', k: Buffer.from('secret-secret-secret-secret-1234').toString('base64url'), kid: 'hmac-1' },
      { kty: 'XYZ', kid: 'weird-1', x: 'abc' },
      { ...ec.publicJwk, kid: 'misfit-1', alg: 'RS256' },
      { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'broken-1' },
      42,
    ]
    const verifier = verifierFor(server)
    await verifier.warmUp()
    expect(verifier.keyStatus().keyCount).toBe(1)
    const skipped = log.of('key_skipped')
    expect(skipped.map((event) => event.kid)).toEqual([
      'enc-1',
      'private-1',
      'ops-1',
      'small-1',
      'hmac-1',
      'weird-1',
      'misfit-1',
      'broken-1',
      undefined,
    ])
    expect(skipped[0]?.why).toMatch(/"use" is "enc"/)
    expect(skipped[1]?.why).toMatch(/private/)
    expect(skipped[2]?.why).toMatch(/key_ops/)
    expect(skipped[3]?.why).toMatch(/1024 bits/)
    expect(skipped[4]?.why).toMatch(/symmetric/)
    expect(skipped[5]?.why).toMatch(/unsupported key type "XYZ"/)

    const now = clock()
    const signedBySkipped = [
      await sign(server, {}, encryption),
      await sign(server, {}, withPrivate),
      await sign(server, {}, wrapOnly),
      signRs256(small.privateKey, 'small-1', tokenClaims(server.issuer, now)),
    ]
    for (const token of signedBySkipped) {
      expect((await rejection(verifier.verify(token))).reason).toBe('unknown_key')
    }
    // Without a kid every usable key is tried, and none of the skipped ones is.
    const withoutKid = [
      await server.sign({}, { nowMs: now, key: encryption, kid: null }),
      await server.sign({}, { nowMs: now, key: withPrivate, kid: null }),
      signRs256(small.privateKey, undefined, tokenClaims(server.issuer, now)),
    ]
    for (const token of withoutKid) {
      expect((await rejection(verifier.verify(token))).reason).toMatch(/^(unknown_key|signature_invalid)$/)
    }
    expect(server.count('/jwks')).toBe(1)
  })

  it('skips keys whose numbers are malformed, as the WebCrypto path does (RFC 7518 §6.2.1.2, §6.3.1)', async () => {
    const server = await start([ec])
    const rsaKey = await generateTestKey('RS256', 'rsa-std')
    const padded = `AA${Buffer.from(ec.publicJwk.x as string, 'base64url').toString('hex')}`
    const n = rsaKey.publicJwk.n as string
    server.extraJwks = [
      // The same point with a zero byte in front: 33 bytes for P-256 (node:crypto took it).
      { ...ec.publicJwk, kid: 'long-x', x: Buffer.from(padded, 'hex').toString('base64url') },
      // The modulus in the standard base64 alphabet (node:crypto's decoder took it).
      {
        ...rsaKey.publicJwk,
        kid: 'std-n',
        n: n.includes('-') || n.includes('_') ? n.replace(/-/g, '+').replace(/_/g, '/') : `${n}+`,
      },
      { ...rsaKey.publicJwk, kid: 'empty-e', e: '' },
    ]
    const verifier = verifierFor(server)
    await verifier.warmUp()
    expect(verifier.keyStatus().keyCount).toBe(1)
    expect(log.of('key_skipped').map((event) => [event.kid, event.why])).toEqual([
      ['long-x', 'key material is invalid'],
      ['std-n', 'key material is invalid'],
      ['empty-e', 'key material is invalid'],
    ])
  })

  it('a key set with only unusable keys is a fetch failure', async () => {
    const server = await start([])
    const encryption = await generateTestKey('RS256', 'enc-only')
    server.extraJwks = [{ ...encryption.publicJwk, use: 'enc' }]
    const verifier = verifierFor(server)
    await expectUnavailable(verifier.verify(await sign(server, {}, encryption)))
    expect(log.of('key_skipped')).toHaveLength(1)
    expect(log.of('keys_fetch_failed')[0]?.error).toMatch(/no usable signing key/)
  })

  it('duplicated kids: the key that signed the token verifies it', async () => {
    const first = await generateTestKey('RS256', 'dup')
    const second = await generateTestKey('RS256', 'dup')
    const curve = await generateTestKey('ES256', 'dup')
    const server = await start([first, second, curve])
    const verifier = verifierFor(server, { tokenCache: false })
    for (const key of [first, second, curve]) {
      const auth = await verifier.verify(await sign(server, {}, key))
      expect(auth.header).toMatchObject({ kid: 'dup', alg: key.alg })
    }
    const impostor = await generateTestKey('RS256', 'dup')
    expect((await rejection(verifier.verify(await sign(server, {}, impostor)))).reason).toBe(
      'signature_invalid',
    )
    expect(server.count('/jwks')).toBe(1)
  })

  it('a token without kid verifies against a single-key set, and against any key that fits', async () => {
    const server = await start([ec])
    const verifier = verifierFor(server)
    const auth = await verifier.verify(await server.sign({}, { nowMs: clock(), key: ec, kid: null }))
    expect(auth.header.kid).toBeUndefined()

    server.publish(rsa)
    const other = await generateTestKey('ES256')
    server.publish(other)
    clock.advance(COOLDOWN)
    await verifier.verify(await sign(server, {}, rsa)) // unknown kid: refetch
    expect(
      (await verifier.verify(await server.sign({}, { nowMs: clock(), key: other, kid: null }))).header.alg,
    ).toBe('ES256')
    expect(
      (await verifier.verify(await server.sign({}, { nowMs: clock(), key: rsa, kid: null }))).header.alg,
    ).toBe('RS256')
    const stranger = await server.sign({}, { nowMs: clock(), key: forger, kid: null })
    expect((await rejection(verifier.verify(stranger))).reason).toBe('signature_invalid')
  })
})

describe('redirects', () => {
  it('follows a redirect on the same origin', async () => {
    const server = await start()
    server.serveJwksAt('/keys/v2')
    server.behave({ redirect: '/keys/v2' }, '/jwks')
    const verifier = verifierFor(server)
    expect((await verifier.verify(await sign(server))).clientId).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(server.count('/keys/v2')).toBe(1)
  })

  it('refuses a redirect to another origin, which is never contacted', async () => {
    const server = await start()
    const elsewhere = await startJwksServer({ keys: [ec] })
    servers.push(elsewhere)
    server.behave({ redirect: elsewhere.jwksUri, status: 307 }, '/jwks')
    const verifier = verifierFor(server)
    const error = await expectUnavailable(verifier.verify(await sign(server)))
    expect(error.message).toContain('redirected to another origin')
    expect(log.of('keys_fetch_failed')[0]?.error).toContain(`another origin (${elsewhere.url})`)
    expect(elsewhere.count()).toBe(0)
  })

  it('refuses a redirect loop after a few hops', async () => {
    const server = await start()
    server.behave({ redirect: '/jwks' }, '/jwks')
    const verifier = verifierFor(server)
    await expectUnavailable(verifier.verify(await sign(server)))
    expect(log.of('keys_fetch_failed')[0]?.error).toMatch(/more than 3 redirects/)
    expect(server.count('/jwks')).toBe(4)
  })
})
