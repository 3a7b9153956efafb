import { createRedisReplayStore } from '@m2m-guard/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLIENT_KINDS,
  type Connected,
  connectClient,
  uniquePrefix,
  useRedisServer,
} from './helpers/clients.js'

const redis = useRedisServer()

describe.each(CLIENT_KINDS)('createRedisReplayStore with %s', (kind) => {
  let connected: Connected
  beforeAll(async () => {
    connected = await connectClient(kind, redis.server.url)
  })
  afterAll(() => connected?.close())

  it('claims an id once: true the first time, false for every replay', async () => {
    const store = createRedisReplayStore(connected.client, { prefix: uniquePrefix() })
    const expiresAt = Date.now() + 60_000
    expect(await store.claim('proof-1', expiresAt)).toBe(true)
    expect(await store.claim('proof-1', expiresAt)).toBe(false)
    expect(await store.claim('proof-1', expiresAt + 60_000)).toBe(false)
    expect(await store.claim('proof-2', expiresAt)).toBe(true)
  })

  it('lets Redis forget the id when the proof expires (PX = time left)', async () => {
    const prefix = uniquePrefix()
    const now = Date.UTC(2031, 4, 1)
    const store = createRedisReplayStore(connected.client, { prefix, clock: () => now })
    await store.claim('proof', now + 4_000)
    const [key] = await redis.look.keys(prefix)
    expect(key).toBeDefined()
    const ttl = await redis.look.client.pTTL(key as string)
    expect(ttl).toBeGreaterThan(3_000)
    expect(ttl).toBeLessThanOrEqual(4_000)
  })

  it('rounds PX up, so the id outlives expiresAt with clocks in fractions of a millisecond', async () => {
    // The real client, its commands seen on their way to the real server.
    const sent: unknown[][] = []
    const seen = new Proxy(connected.client as object, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver)
        if ((name !== 'sendCommand' && name !== 'call') || typeof value !== 'function') return value
        return (...args: unknown[]) => {
          sent.push(args.flat())
          return value.apply(target, args)
        }
      },
    })
    const now = Date.UTC(2031, 4, 1) + 0.6
    const store = createRedisReplayStore(seen as typeof connected.client, {
      prefix: uniquePrefix(),
      clock: () => now,
    })
    expect(await store.claim('fractional', now + 3_999.6)).toBe(true)
    const set = sent.find((command) => command[0] === 'SET') as unknown[]
    expect(set.slice(-2)).toEqual(['PX', '4000'])
  })

  it('claims an id already past its expiry for a moment only (Redis refuses PX 0)', async () => {
    const prefix = uniquePrefix()
    const store = createRedisReplayStore(connected.client, { prefix, clock: () => 10_000 })
    expect(await store.claim('late', 5_000)).toBe(true)
    const keys = await redis.look.keys(prefix)
    // Gone already, or about to be.
    for (const key of keys) expect(await redis.look.client.pTTL(key)).toBeLessThanOrEqual(1)
  })

  it('hashes hostile ids into fixed-size keys of its own namespace', async () => {
    const prefix = uniquePrefix()
    const store = createRedisReplayStore(connected.client, { prefix })
    const expiresAt = Date.now() + 60_000
    const hostile = ['*', '\r\n*1\r\n$8\r\nFLUSHALL\r\n', `${prefix}token:x`, 'ä'.repeat(100_000), ' ']
    for (const id of hostile) expect(await store.claim(id, expiresAt)).toBe(true)
    for (const id of hostile) expect(await store.claim(id, expiresAt)).toBe(false)
    const keys = await redis.look.keys(prefix)
    expect(keys).toHaveLength(hostile.length)
    for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}dpop-jti:[A-Za-z0-9_-]{43}$`))
  })

  it('keeps stores with different prefixes apart, and shares one prefix across clients', async () => {
    const prefix = uniquePrefix()
    const expiresAt = Date.now() + 60_000
    const store = createRedisReplayStore(connected.client, { prefix })
    const otherInstance = createRedisReplayStore(redis.look.client, { prefix })
    const otherApp = createRedisReplayStore(connected.client, { prefix: uniquePrefix() })
    expect(await store.claim('shared', expiresAt)).toBe(true)
    expect(await otherInstance.claim('shared', expiresAt)).toBe(false)
    expect(await otherApp.claim('shared', expiresAt)).toBe(true)
  })

  it('admits exactly one of many concurrent claims of the same id', async () => {
    const store = createRedisReplayStore(connected.client, { prefix: uniquePrefix() })
    const expiresAt = Date.now() + 60_000
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('raced', expiresAt)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('rejects arguments that are not an id and a time', async () => {
    const store = createRedisReplayStore(connected.client, { prefix: uniquePrefix() })
    await expect(store.claim('', Date.now())).rejects.toThrow(TypeError)
    await expect(store.claim(42 as unknown as string, Date.now())).rejects.toThrow(TypeError)
    await expect(store.claim('id', Number.NaN)).rejects.toThrow(TypeError)
    await expect(store.claim('id', '1' as unknown as number)).rejects.toThrow(TypeError)
  })
})
