/**
 * The `keyStore` option: a key set fetched by one verifier (one serverless
 * invocation) serves the next without a fetch, through a real JWKS server on
 * 127.0.0.1 whose requests are counted. A store that fails, hangs or holds
 * garbage costs a fetch and an event, never a request. Time moves by an
 * injected clock.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  createVerifier,
  type KeyStore,
  type StoredKeySet,
  type VerifierOptions,
} from '../src/index.js'
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

const servers: JwksServer[] = []
let key: TestKey
let clock: TestClock
let log: EventLog

beforeAll(async () => {
  key = await generateTestKey('ES256', 'stored')
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(): Promise<JwksServer> {
  const server = await startJwksServer({ keys: [key] })
  servers.push(server)
  clock = createClock()
  log = recordEvents()
  return server
}

/** A new verifier: what the next invocation of a serverless function creates. */
const invocation = (server: JwksServer, keyStore: unknown, options: Partial<VerifierOptions> = {}) =>
  createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    keyStore: keyStore as KeyStore,
    clock,
    onEvent: log.onEvent,
    ...options,
  })

/** A store in a Map, async like Workers KV, that records what it was asked. */
function mapStore() {
  const entries = new Map<string, string>()
  const calls: string[] = []
  const store: KeyStore = {
    async get(uri) {
      calls.push(`get ${uri}`)
      const text = entries.get(uri)
      return text === undefined ? undefined : (JSON.parse(text) as StoredKeySet)
    },
    async set(uri, keySet) {
      calls.push(`set ${uri}`)
      entries.set(uri, JSON.stringify(keySet))
    },
  }
  return { store, entries, calls }
}

const verify = async (verifier: ReturnType<typeof invocation>, server: JwksServer) =>
  (await verifier.verify(await server.sign({}, { nowMs: clock() }))).clientId

describe('keyStore', () => {
  it('a key set fetched by one invocation serves the next without a fetch', async () => {
    const server = await start()
    const { store, entries, calls } = mapStore()
    expect(await verify(invocation(server, store), server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(calls).toEqual([`get ${server.jwksUri}`, `set ${server.jwksUri}`])
    const stored = JSON.parse(entries.get(server.jwksUri) as string) as StoredKeySet
    expect(stored).toEqual({
      jwks: { keys: [key.publicJwk] },
      jwksUri: server.jwksUri,
      fetchedAt: clock(),
      freshUntil: clock() + 600_000,
    })

    clock.advance(60_000)
    const next = invocation(server, store)
    expect(await verify(next, server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('keys_restored')).toEqual([
      { type: 'keys_restored', issuer: server.issuer, uri: server.jwksUri, ageMs: 60_000, keyCount: 1 },
    ])
    expect(next.keyStatus()).toMatchObject({ ready: true, fresh: true, fetchedAt: clock() - 60_000 })
  })

  it('takes a synchronous store too; warmUp() always fetches, and stores what it fetched', async () => {
    const server = await start()
    const entries = new Map<string, StoredKeySet>()
    const store: KeyStore = {
      get: (uri) => entries.get(uri),
      set: (uri, keySet) => void entries.set(uri, keySet),
    }
    await invocation(server, store).warmUp()
    await invocation(server, store).warmUp()
    expect(server.count('/jwks')).toBe(2)
    expect(await verify(invocation(server, store), server)).toBe('billing')
    expect(server.count('/jwks')).toBe(2)
  })

  it('a stale stored key set is refreshed at once, and serves if the issuer is down', async () => {
    const server = await start()
    const { store } = mapStore()
    await invocation(server, store).warmUp()
    clock.advance(11 * 60_000) // past max-age, within staleIfError
    server.behave('down')
    expect(await verify(invocation(server, store), server)).toBe('billing')
    expect(server.count('/jwks')).toBe(2)
    expect(log.of('keys_stale')).toHaveLength(1)

    server.behave('normal')
    clock.advance(31_000)
    const fresh = invocation(server, store)
    expect(await verify(fresh, server)).toBe('billing')
    expect(fresh.keyStatus().fresh).toBe(true)
  })

  it('a stored key set past the stale-if-error window is not used', async () => {
    const server = await start()
    const { store } = mapStore()
    await invocation(server, store).warmUp()
    clock.advance(10 * 60_000 + 6 * 3_600_000)
    server.behave('down')
    const error = await invocation(server, store)
      .verify(await server.sign({}, { nowMs: clock() }))
      .catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).status).toBe(503)
    expect(log.of('keys_restored')).toEqual([])
  })

  const garbage: [string, unknown][] = [
    ['a string', 'keys'],
    ['an object of another shape', { keys: [] }],
    [
      'times from the future',
      { jwks: { keys: [] }, jwksUri: 'x', fetchedAt: Number.MAX_SAFE_INTEGER, freshUntil: 0 },
    ],
    [
      'no usable key',
      { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, jwksUri: '', fetchedAt: 0, freshUntil: 1 },
    ],
  ]
  it.each(garbage)('a store holding %s costs a fetch and an event, not a request', async (_, value) => {
    const server = await start()
    const now = clock()
    const stored =
      typeof value === 'object' &&
      value !== null &&
      'jwksUri' in value &&
      (value as StoredKeySet).jwksUri === ''
        ? { ...(value as StoredKeySet), jwksUri: server.jwksUri, fetchedAt: now, freshUntil: now + 60_000 }
        : value
    const store = { get: () => stored, set: () => {} }
    expect(await verify(invocation(server, store), server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('key_store_failed')).toMatchObject([{ operation: 'get', issuer: server.issuer }])
  })

  it('refuses a stored key set from another URI than the configured jwksUri', async () => {
    const server = await start()
    const other = await start()
    const { store, entries } = mapStore()
    await invocation(other, store).warmUp()
    // The other issuer's key set, filed under this one's URI: as a poisoned or mixed-up store would.
    entries.set(server.jwksUri, entries.get(other.jwksUri) as string)
    expect(await verify(invocation(server, store), server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('key_store_failed')[0]?.error).toMatch(/not the configured "jwksUri"/)
  })

  it('a restored key set does not pin a discovered jwks_uri: the next refresh discovers it again', async () => {
    const server = await start()
    // The issuer has moved its key set; the store still names where it used to be.
    server.setJson('/.well-known/oauth-authorization-server', {
      issuer: server.issuer,
      jwks_uri: server.jwksUri,
    })
    const now = clock()
    const old = `${server.issuer}/old-jwks`
    const stale = {
      jwks: { keys: [key.publicJwk] },
      jwksUri: old,
      fetchedAt: now - 11 * 60_000,
      freshUntil: now - 60_000,
    }
    const store = { get: () => stale, set: () => {} }
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      keyStore: store,
      clock,
      onEvent: log.onEvent,
    })
    expect(await verify(verifier, server)).toBe('billing')
    expect(log.of('keys_restored')).toHaveLength(1)
    expect(server.count('/.well-known/oauth-authorization-server')).toBe(1)
    expect(server.count('/jwks')).toBe(1)
    expect(server.count('/old-jwks')).toBe(0)
  })

  it('a restored key set is fresh no longer than one fetched without Cache-Control', async () => {
    const server = await start()
    const now = clock()
    // An entry claiming a day of freshness (another build, another configuration, or tampered).
    const entry = {
      jwks: { keys: [key.publicJwk] },
      jwksUri: server.jwksUri,
      fetchedAt: now,
      freshUntil: now + 86_400_000,
    }
    clock.advance(10 * 60_000 + 1) // past the default maxAge (10 min)
    const verifier = invocation(server, { get: () => entry, set: () => {} })
    expect(await verify(verifier, server)).toBe('billing')
    expect(log.of('keys_restored')).toHaveLength(1)
    expect(server.count('/jwks')).toBe(1)
  })

  it('a stored value whose getters throw costs a fetch and an event, not a request', async () => {
    const server = await start()
    const hostile = {
      get jwks(): never {
        throw new Error('getter exploded')
      },
    }
    const verifier = invocation(server, { get: () => hostile, set: () => {} })
    expect(await verify(verifier, server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('key_store_failed')[0]?.error).toMatch(/stored value could not be read: getter exploded/)
  })

  const failing: [string, KeyStore][] = [
    [
      'rejects',
      { get: () => Promise.reject(new Error('KV down')), set: () => Promise.reject(new Error('KV down')) },
    ],
    [
      'throws',
      {
        get: () => {
          throw new Error('KV down')
        },
        set: () => {
          throw new Error('KV down')
        },
      },
    ],
    ['hangs', { get: () => new Promise(() => {}), set: () => new Promise(() => {}) }],
  ]
  it.each(failing)('a store that %s costs a fetch and an event, not a request', async (_, store) => {
    const server = await start()
    const verifier = invocation(server, store, { jwksCache: { timeout: 50 } })
    expect(await verify(verifier, server)).toBe('billing')
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('key_store_failed').map((event) => event.operation)).toEqual(['get', 'set'])
    expect(log.of('key_store_failed')[0]?.error).toMatch(/KV down|did not answer within 50 ms/)
  })

  it('is checked at start-up', () => {
    const options = { issuer: 'https://auth.example.com', audience: AUDIENCE }
    for (const keyStore of [{}, { get: () => undefined }, 'kv', null]) {
      expect(() => createVerifier({ ...options, keyStore: keyStore as unknown as KeyStore })).toThrow(
        '"keyStore" option must have get(uri) and set(uri, keySet) functions',
      )
    }
  })
})
