/**
 * verifier.backgroundWork(): the key fetches a response may outlive, for
 * Workers' ctx.waitUntil. Against real JWKS servers on 127.0.0.1 whose answers
 * the test holds and releases; keys go stale by the injected clock, never by sleep.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
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
} from './helpers/jwks-server.js'

const MAX_AGE = 60_000
const servers: JwksServer[] = []
let clock: TestClock
let log: EventLog
let oldKey: TestKey
let newKey: TestKey

beforeAll(async () => {
  ;[oldKey, newKey] = await Promise.all([generateTestKey('ES256', 'old'), generateTestKey('ES256', 'new')])
})

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(keys: TestKey[] = [oldKey]): Promise<JwksServer> {
  const server = await startJwksServer({ keys })
  servers.push(server)
  return server
}

function verifierFor(server: JwksServer, options: Partial<VerifierOptions> = {}): Verifier {
  clock = createClock()
  log = recordEvents()
  return createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    clock,
    onEvent: log.onEvent,
    jwksCache: { maxAge: MAX_AGE },
    ...options,
  })
}

function sign(server: JwksServer, key: TestKey, overrides: Record<string, unknown> = {}): Promise<string> {
  return server.sign(overrides, { nowMs: clock(), key })
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthError) return error.reason
    throw error
  }
  throw new Error('the token was accepted')
}

/** Whether `promise` has settled by the time a macrotask has run (a held request needs several). */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  await new Promise((resolve) => setImmediate(resolve))
  return settled
}

describe('idle: no background work', () => {
  it('is undefined before any fetch, after warm-up, and while the keys are fresh', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    expect(verifier.backgroundWork()).toBeUndefined()
    await verifier.warmUp()
    expect(verifier.backgroundWork()).toBeUndefined()
    const token = await sign(server, oldKey)
    await verifier.verify(token) // a new token
    await verifier.verify(token) // a cache hit
    clock.advance(MAX_AGE - 1)
    await verifier.verify(await sign(server, oldKey))
    expect(verifier.backgroundWork()).toBeUndefined()
    expect(server.count('/jwks')).toBe(1)
  })

  it('is undefined for a local key set', async () => {
    const server = await start()
    const verifier = verifierFor(server, { jwksUri: undefined, jwks: { keys: [oldKey.publicJwk] } })
    await verifier.verify(await sign(server, oldKey))
    clock.advance(365 * 86_400_000)
    await verifier.verify(await sign(server, oldKey))
    expect(verifier.backgroundWork()).toBeUndefined()
    expect(server.count()).toBe(0)
  })
})

describe('a background refresh of stale keys', () => {
  it('is the work until the issuer answers; then the rotation is in effect without another fetch', async () => {
    const server = await start([oldKey])
    const verifier = verifierFor(server)
    await verifier.warmUp()
    server.removeKey(oldKey.kid)
    server.publish(newKey)
    clock.advance(MAX_AGE)
    const hold = server.hold('/jwks')

    // Stale keys answer at once; the refresh this request started is still out.
    await verifier.verify(await sign(server, oldKey))
    const work = verifier.backgroundWork()
    expect(work).toBeInstanceOf(Promise)
    await hold.arrived
    expect(hold.held).toBe(1)
    expect(await hasSettled(work as Promise<void>)).toBe(false)
    expect(log.of('keys_fetched')).toHaveLength(1)

    hold.release()
    await expect(work).resolves.toBeUndefined()
    expect(log.of('keys_fetched').map((event) => event.trigger)).toEqual(['warm_up', 'expired'])
    expect(verifier.keyStatus()).toMatchObject({ fresh: true, keyCount: 1 })
    expect(verifier.backgroundWork()).toBeUndefined()
    await verifier.verify(await sign(server, newKey))
    expect(await reason(verifier.verify(await sign(server, oldKey)))).toBe('unknown_key')
    expect(server.count('/jwks')).toBe(2)
  })

  it('a reused token from the cache starts it too; once it is done, a key the issuer removed stops passing', async () => {
    const server = await start([oldKey, newKey])
    const verifier = verifierFor(server)
    const reused = await sign(server, oldKey, { exp: Math.floor(clock() / 1000) + 3600 })
    await verifier.verify(reused)
    server.removeKey(oldKey.kid)
    clock.advance(MAX_AGE)
    const hold = server.hold('/jwks')

    await verifier.verify(reused) // from the token cache, past the keys' max-age
    const work = verifier.backgroundWork()
    expect(work).toBeInstanceOf(Promise)
    await hold.arrived
    await verifier.verify(reused) // still served while the refresh is out
    hold.release()
    await work
    expect(await reason(verifier.verify(reused))).toBe('unknown_key')
  })

  it('every call during one refresh gets a promise that settles with it', async () => {
    const server = await start()
    const verifier = verifierFor(server)
    await verifier.warmUp()
    clock.advance(MAX_AGE)
    const hold = server.hold('/jwks')
    await verifier.verify(await sign(server, oldKey))
    const first = verifier.backgroundWork()
    await verifier.verify(await sign(server, oldKey)) // joins: no second fetch
    const second = verifier.backgroundWork()
    await hold.arrived
    hold.release()
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined])
    expect(server.count('/jwks')).toBe(2)
    expect(verifier.backgroundWork()).toBeUndefined()
  })

  it.each([
    ['answers 500', 'down', /answered HTTP 500/],
    ['answers bad JSON', 'garbage', /JSON/],
  ] as const)(
    'fulfils, never rejects, when the issuer %s; the stale keys keep serving',
    async (_label, behaviour, error) => {
      const server = await start()
      const verifier = verifierFor(server)
      await verifier.warmUp()
      server.behave(behaviour)
      clock.advance(MAX_AGE)
      const hold = server.hold('/jwks')
      await verifier.verify(await sign(server, oldKey))
      const work = verifier.backgroundWork()
      await hold.arrived
      hold.release()
      await expect(work).resolves.toBeUndefined()
      expect(log.of('keys_fetch_failed')).toMatchObject([
        { trigger: 'expired', error: expect.stringMatching(error) },
      ])
      expect(log.of('keys_stale')).toHaveLength(1)
      expect(verifier.keyStatus()).toMatchObject({ ready: true, fresh: false })
      expect(verifier.backgroundWork()).toBeUndefined()
      await verifier.verify(await sign(server, oldKey))
    },
  )

  it('is undefined once the refresh is long past its timeout: the runtime dropped it, it will never settle', async () => {
    const server = await start()
    let calls = 0
    const dropping: typeof fetch = (input, init) =>
      ++calls === 2 ? new Promise<Response>(() => {}) : fetch(input, init)
    const timeout = 60_000 // the fetch's own timer must not settle it during the test
    const verifier = verifierFor(server, { fetch: dropping, jwksCache: { maxAge: MAX_AGE, timeout } })
    await verifier.warmUp()
    clock.advance(MAX_AGE)
    await verifier.verify(await sign(server, oldKey))
    expect(calls).toBe(2)
    clock.advance(2 * timeout) // it may still answer
    expect(verifier.backgroundWork()).toBeInstanceOf(Promise)
    clock.advance(1) // it will not
    expect(verifier.backgroundWork()).toBeUndefined()
    // The next request starts a new refresh: that one is the work.
    await verifier.verify(await sign(server, oldKey))
    expect(calls).toBe(3)
    const work = verifier.backgroundWork()
    expect(work).toBeInstanceOf(Promise)
    await expect(work).resolves.toBeUndefined()
    expect(verifier.keyStatus().fresh).toBe(true)
  })
})

describe('several issuers', () => {
  async function twoIssuers() {
    const [a, b] = [await start([oldKey]), await start([newKey])]
    clock = createClock()
    log = recordEvents()
    const verifier = createVerifier({
      issuers: [
        { issuer: a.issuer, audience: AUDIENCE, jwksUri: a.jwksUri },
        { issuer: b.issuer, audience: AUDIENCE, jwksUri: b.jwksUri },
      ],
      clock,
      onEvent: log.onEvent,
      jwksCache: { maxAge: MAX_AGE },
    })
    await verifier.warmUp()
    clock.advance(MAX_AGE)
    return { a, b, verifier }
  }

  it("settles once every issuer's refresh has, a failing one included", async () => {
    const { a, b, verifier } = await twoIssuers()
    const [holdA, holdB] = [a.hold('/jwks'), b.hold('/jwks')]
    a.behave('down')
    await verifier.verify(await sign(a, oldKey))
    await verifier.verify(await sign(b, newKey))
    const work = verifier.backgroundWork() as Promise<void>
    expect(work).toBeInstanceOf(Promise)
    await Promise.all([holdA.arrived, holdB.arrived])

    // The first issuer's refresh fails first: the work neither rejects nor ends, b's is still out.
    holdA.release()
    await expect.poll(() => log.of('keys_fetch_failed')).toHaveLength(1)
    expect(await hasSettled(work)).toBe(false)
    holdB.release()
    await expect(work).resolves.toBeUndefined()
    const fetched = log.of('keys_fetched').filter((event) => event.trigger === 'expired')
    expect(fetched.map((event) => event.issuer)).toEqual([b.issuer])
    expect(verifier.keyStatus().notReady).toEqual([])
    expect(verifier.keyStatus().issuers.map((status) => status.fresh)).toEqual([false, true])
    expect(verifier.backgroundWork()).toBeUndefined()
  })

  it('is the one issuer refreshing when the others are idle', async () => {
    const { a, b, verifier } = await twoIssuers()
    const hold = b.hold('/jwks')
    await verifier.verify(await sign(b, newKey))
    expect(verifier.backgroundWork()).toBeInstanceOf(Promise)
    const work = verifier.backgroundWork()
    await hold.arrived
    expect(a.count('/jwks')).toBe(1)
    hold.release()
    await expect(work).resolves.toBeUndefined()
    expect(verifier.keyStatus().issuers.map((status) => status.fresh)).toEqual([false, true])
  })
})
