import { generateKeyPairSync } from 'node:crypto'
import {
  createTokenClient,
  type StoredToken,
  type TokenClient,
  type TokenClientEvent,
  type TokenClientOptions,
  type TokenLock,
  type TokenStore,
} from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { storeKey } from '../src/token-store.js'
import { createFakeClock, type FakeClock } from './helpers/clock.js'
import { createMemoryTokenStore, type MemoryTokenStore } from './helpers/memory-token-store.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

// N instances of one caller (N token clients, as N processes would have) share one store and one
// real token endpoint; one fake clock drives them all.
let issuer: TokenEndpoint
let clock: FakeClock
let store: MemoryTokenStore
let events: Array<TokenClientEvent & { instance: number }>

beforeEach(async () => {
  issuer = await startTokenEndpoint({ expiresIn: 600 })
  clock = createFakeClock(Date.now())
  store = createMemoryTokenStore(clock.now)
  events = []
})
afterEach(() => issuer.close())

// While another instance renews, waiting means: let time pass (fake) until the store changes.
const waitForStore = (ms: number) => {
  clock.advance(ms)
  return store.changed()
}

function instance(n: number, extra: Partial<TokenClientOptions> = {}): TokenClient {
  return createTokenClient({
    tokenEndpoint: issuer.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    scope: 'orders:read',
    store,
    clock: clock.now,
    sleep: waitForStore,
    onEvent: (event) => events.push({ ...event, instance: n }),
    ...extra,
  } as TokenClientOptions)
}
const fleet = (size: number, extra: Partial<TokenClientOptions> = {}) =>
  Array.from({ length: size }, (_, n) => instance(n, extra))
const ofType = <T extends TokenClientEvent['type']>(type: T) =>
  events.filter(
    (event): event is Extract<TokenClientEvent, { type: T }> & { instance: number } => event.type === type,
  )

describe('a fleet sharing one store', () => {
  it('N instances asking at once cause one token request, and all get that token', async () => {
    const tokens = await Promise.all(fleet(6).map((c) => c.getToken()))
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
    expect(issuer.tokenRequests).toHaveLength(1)
    const fetched = ofType('token_fetched')
    expect(fetched.filter((event) => event.source === 'token_endpoint')).toHaveLength(1)
    expect(fetched.filter((event) => event.source === 'store')).toHaveLength(5)
    expect(ofType('store_fallback')).toEqual([])
  })

  it('stores the token with its expiry and scope, until it expires', async () => {
    issuer.queue({
      body: { access_token: 'scoped', token_type: 'Bearer', expires_in: 600, scope: 'orders:read' },
    })
    await instance(0).getToken()
    expect([...store.tokens.values()]).toEqual<StoredToken[]>([
      { accessToken: 'scoped', tokenType: 'Bearer', expiresAt: clock.now() + 600_000, scope: 'orders:read' },
    ])
  })

  it('one renewal per lifetime for the whole fleet, in the background', async () => {
    const clients = fleet(5)
    await Promise.all(clients.map((c) => c.getToken()))
    clock.advance(480_000) // 80% of 600 s: every instance is in its renewal window
    const all = (token: string) => clients.map(() => token)
    // Callers get the current token at once while renewals run.
    expect(await Promise.all(clients.map((c) => c.getToken()))).toEqual(all('token-1'))
    await until(() => ofType('token_renewed').length === 5)
    expect(await Promise.all(clients.map((c) => c.getToken()))).toEqual(all('token-2'))
    expect(issuer.tokenRequests).toHaveLength(2)
    // Each further lifetime: one more token request, whatever the fleet size.
    for (let round = 3; round <= 4; round++) {
      clock.advance(480_000)
      await Promise.all(clients.map((c) => c.getToken()))
      await until(() => ofType('token_renewed').length === 5 * (round - 1))
    }
    expect(issuer.tokenRequests).toHaveLength(4)
  })

  it('a stored token with little time left is still shared, down to the last 5 s', async () => {
    await instance(0).getToken()
    clock.advance(594_000) // 6 s left
    expect(await instance(1).getToken()).toBe('token-1')
    clock.advance(1_000) // 5 s left: no longer handed out
    expect(await instance(2).getToken()).toBe('token-2')
  })

  it('an instance starting later takes the stored token without asking the issuer', async () => {
    await instance(0).getToken()
    clock.advance(100_000)
    expect(await instance(1).getToken()).toBe('token-1')
    expect(issuer.tokenRequests).toHaveLength(1)
    expect(ofType('token_fetched').at(-1)).toMatchObject({ source: 'store', attempts: 0, expiresIn: 500_000 })
  })

  it('a token refused by an API is not taken from the store again', async () => {
    const c = instance(0)
    const first = await c.getToken()
    c.invalidate(first)
    expect(await c.getToken()).toBe('token-2')
    expect(store.tokens.values().next().value?.accessToken).toBe('token-2')
  })

  it('invalidate() without a token does not take the same token back from the store', async () => {
    const c = instance(0)
    await c.getToken()
    c.invalidate()
    expect(await c.getToken()).toBe('token-2')
  })

  it('ignores a stored token that is about to expire, of another type, or malformed', async () => {
    const key = storeKey({
      endpoint: issuer.tokenEndpoint,
      clientId: 'billing',
      params: [['scope', 'orders:read']],
      binding: '',
    })
    for (const bad of [
      { accessToken: 'nearly-expired', tokenType: 'Bearer', expiresAt: clock.now() + 5_000 },
      { accessToken: 'a-dpop-token', tokenType: 'DPoP', expiresAt: clock.now() + 600_000 },
      { accessToken: '', tokenType: 'Bearer', expiresAt: clock.now() + 600_000 },
      { accessToken: 'no-expiry', tokenType: 'Bearer' },
    ] as StoredToken[]) {
      store.tokens.set(key, bad)
      const c = instance(0)
      expect(await c.getToken()).toMatch(/^token-/)
    }
    expect(issuer.tokenRequests).toHaveLength(4)
  })
})

describe('the store failing never fails a call', () => {
  const failing = (overrides: Partial<TokenStore>): TokenStore => ({ ...store, ...overrides })

  it.each<[string, Partial<TokenStore>, string]>([
    ['get rejects', { get: () => Promise.reject(new Error('ECONNREFUSED')) }, 'get'],
    ['lock rejects', { lock: () => Promise.reject(new Error('ECONNRESET')) }, 'lock'],
    [
      'get throws synchronously',
      {
        get: () => {
          throw new Error('boom')
        },
      },
      'get',
    ],
  ])('%s: each instance uses its own token, and says so', async (_, overrides, operation) => {
    const clients = fleet(3, { store: failing(overrides) })
    const tokens = await Promise.all(clients.map((c) => c.getToken()))
    expect(new Set(tokens).size).toBe(3)
    expect(issuer.tokenRequests).toHaveLength(3)
    expect(ofType('store_fallback')).toHaveLength(3)
    expect(ofType('store_fallback')[0]).toMatchObject({ operation, reason: 'error' })
  })

  it('a store slower than storeOptions.timeout counts as down', async () => {
    const slow = failing({ get: () => new Promise<undefined>(() => {}) })
    const c = instance(0, { store: slow, storeOptions: { timeout: 20 } })
    expect(await c.getToken()).toBe('token-1')
    expect(ofType('store_fallback')).toEqual([
      expect.objectContaining({ type: 'store_fallback', operation: 'get', reason: 'timeout' }),
    ])
  })

  it('a lock slower than storeOptions.timeout: the own token is stored for the others, the late lock given back', async () => {
    let grant: (() => void) | undefined
    const slowLock = failing({
      lock: (key, ttlMs) =>
        new Promise<TokenLock | undefined>((resolve) => {
          grant = () => resolve(store.lock(key, ttlMs))
        }),
    })
    const a = instance(0, { store: slowLock, storeOptions: { timeout: 20 } })
    expect(await a.getToken()).toBe('token-1')
    expect(ofType('store_fallback')).toEqual([
      expect.objectContaining({ operation: 'lock', reason: 'timeout' }),
    ])
    expect(store.calls).toEqual(['get', 'set'])
    // The store takes the lock at last, for nobody: it is released at once.
    grant?.()
    await new Promise((resolve) => setImmediate(resolve))
    expect(store.calls).toEqual(['get', 'set', 'lock', 'release'])
    // The next instance takes the stored token: no token request, no wait for a lock.
    const started = clock.now()
    expect(await instance(1).getToken()).toBe('token-1')
    expect(clock.now()).toBe(started)
    expect(issuer.tokenRequests).toHaveLength(1)
    expect(ofType('store_fallback')).toHaveLength(1)
  })

  it('a lock that fails: the own token is still offered to the store', async () => {
    const c = instance(0, { store: failing({ lock: () => Promise.reject(new Error('ECONNRESET')) }) })
    expect(await c.getToken()).toBe('token-1')
    expect(ofType('store_fallback')).toEqual([
      expect.objectContaining({ operation: 'lock', reason: 'error' }),
    ])
    expect(await instance(1).getToken()).toBe('token-1')
    expect(issuer.tokenRequests).toHaveLength(1)
  })

  it('set failing: the token is used, and an event says it was not shared', async () => {
    const c = instance(0, { store: failing({ set: () => Promise.reject(new Error('READONLY')) }) })
    expect(await c.getToken()).toBe('token-1')
    expect(ofType('store_error')).toEqual([expect.objectContaining({ operation: 'set', reason: 'error' })])
  })

  it('a lock held by a crashed instance: waits at most maxWait, then asks the issuer itself', async () => {
    const stuck = failing({ lock: async () => undefined })
    const c = instance(0, {
      store: stuck,
      storeOptions: { maxWait: 3_000 },
      sleep: async (ms) => clock.advance(ms),
    })
    const started = clock.now()
    expect(await c.getToken()).toBe('token-1')
    expect(clock.now() - started).toBeLessThanOrEqual(3_000)
    expect(issuer.tokenRequests).toHaveLength(1)
    expect(ofType('store_fallback')).toEqual([
      expect.objectContaining({ operation: 'wait', reason: 'timeout' }),
    ])
    expect(store.calls.filter((call) => call === 'set')).toHaveLength(1) // shared for the others
  })

  it('a failed token request releases the lock for the next instance', async () => {
    issuer.queue({ status: 401, body: { error: 'invalid_client' } })
    await expect(instance(0).getToken()).rejects.toMatchObject({ error: 'invalid_client' })
    expect(await instance(1).getToken()).toBe('token-2')
    expect(ofType('store_fallback')).toEqual([])
  })
})

describe('store keys: configurations never share a token', () => {
  const base = { endpoint: 'https://auth.example/token', clientId: 'billing', params: [], binding: '' }

  it('differ by endpoint, client, scope, audience, resource and binding; not by scope order', () => {
    const key = storeKey({ ...base, params: [['scope', 'a b']] })
    expect(storeKey({ ...base, params: [['scope', 'b a']] })).toBe(key)
    for (const other of [
      { ...base, params: [['scope', 'a']] },
      {
        ...base,
        params: [
          ['scope', 'a b'],
          ['audience', 'https://api'],
        ],
      },
      {
        ...base,
        params: [
          ['scope', 'a b'],
          ['resource', 'https://api'],
        ],
      },
      { ...base, params: [['scope', 'a b']], clientId: 'reports' },
      { ...base, params: [['scope', 'a b']], endpoint: 'https://other.example/token' },
      { ...base, params: [['scope', 'a b']], binding: 'dpop:xyz' },
    ] as const) {
      expect(storeKey(other)).not.toBe(key)
    }
    expect(key).toMatch(/^m2m-guard:token:v1:[A-Za-z0-9_-]{43}$/)
  })

  it('two scopes in one store are two tokens; the same scopes in another order are one', async () => {
    await instance(0, { scope: ['orders:read', 'orders:write'] }).getToken()
    await instance(1, { scope: 'orders:write orders:read' }).getToken()
    await instance(2, { scope: 'orders:read' }).getToken()
    expect(issuer.tokenRequests).toHaveLength(2)
  })

  it('DPoP: instances with their own keys do not share; with one shared key they do', async () => {
    issuer.queue(
      ...Array.from({ length: 4 }, (_, n) => ({
        body: { access_token: `dpop-${n}`, token_type: 'DPoP', expires_in: 600 },
      })),
    )
    await instance(0, { dpop: true }).getToken()
    await instance(1, { dpop: true }).getToken()
    expect(issuer.tokenRequests).toHaveLength(2)
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await instance(2, { dpop: { privateKey } }).getToken()
    expect(await instance(3, { dpop: { privateKey } }).getToken()).toBe('dpop-2')
    expect(issuer.tokenRequests).toHaveLength(3)
  })
})

describe('store option validation', () => {
  const create = (options: Record<string, unknown>) => () =>
    createTokenClient({
      tokenEndpoint: 'https://auth.example/token',
      clientId: 'billing',
      clientSecret: 's',
      ...options,
    } as unknown as TokenClientOptions)

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a store without lock', { store: { get() {}, set() {} } }, /"store" option must be a TokenStore/],
    ['a Map as store', { store: new Map() }, /"store" option must be a TokenStore/],
    [
      'storeOptions without store',
      { storeOptions: { timeout: 5 } },
      /"storeOptions" option needs the "store" option/,
    ],
    [
      'a zero timeout',
      { store: createMemoryTokenStore(Date.now), storeOptions: { timeout: 0 } },
      /"storeOptions.timeout" option/,
    ],
    [
      'a lockTtl over 10 minutes',
      { store: createMemoryTokenStore(Date.now), storeOptions: { lockTtl: 600_001 } },
      /"storeOptions.lockTtl" option must be an integer of at most 600000/,
    ],
    [
      'a negative maxWait',
      { store: createMemoryTokenStore(Date.now), storeOptions: { maxWait: -1 } },
      /"storeOptions.maxWait" option/,
    ],
  ])('refuses %s', (_, options, message) => {
    expect(create(options)).toThrow(TypeError)
    expect(create(options)).toThrow(message)
  })
})

// Background renewals settle on their own; wait for them, bounded in turns of the event loop.
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  expect(condition()).toBe(true)
}
