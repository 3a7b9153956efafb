import { createRedisTokenStore, type StoredToken } from '@m2m-guard/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLIENT_KINDS,
  type Connected,
  connectClient,
  uniquePrefix,
  useRedisServer,
} from './helpers/clients.js'

const redis = useRedisServer()

const NOW = Date.UTC(2031, 4, 1)
const token = (expiresIn: number, extra: Partial<StoredToken> = {}): StoredToken => ({
  accessToken: `eyJ.${expiresIn}.sig`,
  tokenType: 'Bearer',
  expiresAt: NOW + expiresIn,
  ...extra,
})

describe.each(CLIENT_KINDS)('createRedisTokenStore with %s', (kind) => {
  let connected: Connected
  beforeAll(async () => {
    connected = await connectClient(kind, redis.server.url)
  })
  afterAll(() => connected?.close())
  const storeAt = (now: () => number, prefix = uniquePrefix()) =>
    createRedisTokenStore(connected.client, { prefix, clock: now })

  it('has nothing for a key never set', async () => {
    expect(await storeAt(() => NOW).get('https://auth.example.com/token|billing|orders:read')).toBeUndefined()
  })

  it('gives back the token it was given, and only its fields', async () => {
    const store = storeAt(() => NOW)
    const given = { ...token(60_000, { scope: 'orders:read', tokenType: 'DPoP' }), secret: 'not stored' }
    await store.set('k', given)
    expect(await store.get('k')).toEqual(token(60_000, { scope: 'orders:read', tokenType: 'DPoP' }))
    await store.set('plain', token(60_000))
    expect(await store.get('plain')).toEqual(token(60_000))
    expect(await store.get('other key')).toBeUndefined()
  })

  it('stores a token until its expiry: Redis deletes it then (PX = time left)', async () => {
    const prefix = uniquePrefix()
    const store = storeAt(() => NOW, prefix)
    await store.set('k', token(90_000))
    const [key] = await redis.look.keys(`${prefix}token:`)
    const ttl = await redis.look.client.pTTL(key as string)
    expect(ttl).toBeGreaterThan(89_000)
    expect(ttl).toBeLessThanOrEqual(90_000)
    // A renewed token replaces it, with the new expiry.
    await store.set('k', token(30_000))
    expect((await store.get('k'))?.expiresAt).toBe(NOW + 30_000)
    expect(await redis.look.client.pTTL(key as string)).toBeLessThanOrEqual(30_000)
  })

  it('neither stores an expired token nor returns one this clock sees expired', async () => {
    let now = NOW
    const prefix = uniquePrefix()
    const store = storeAt(() => now, prefix)
    await store.set('expired', token(0))
    expect(await redis.look.keys(prefix)).toEqual([])
    await store.set('k', token(10_000))
    now = NOW + 10_000
    expect(await store.get('k')).toBeUndefined()
  })

  it('treats a value it did not write as no token', async () => {
    const prefix = uniquePrefix()
    const store = storeAt(() => NOW, prefix)
    await store.set('k', token(60_000))
    const [key] = await redis.look.keys(prefix)
    for (const junk of [
      'not json',
      '[]',
      'null',
      '{"accessToken":1}',
      JSON.stringify({ ...token(1), scope: 5 }),
    ]) {
      await redis.look.client.set(key as string, junk)
      expect(await store.get('k')).toBeUndefined()
    }
    await redis.look.client.set(
      key as string,
      JSON.stringify({ ...token(60_000), accessToken: 'x'.repeat(70_000) }),
    )
    expect(await store.get('k')).toBeUndefined()
  })

  it('refuses tokens and keys that are not what the client stores', async () => {
    const store = storeAt(() => NOW)
    await expect(store.set('', token(1000))).rejects.toThrow(TypeError)
    await expect(store.get(7 as unknown as string)).rejects.toThrow(TypeError)
    for (const bad of [
      null,
      {},
      { ...token(1000), accessToken: '' },
      { ...token(1000), expiresAt: 'soon' },
    ]) {
      await expect(store.set('k', bad as unknown as StoredToken)).rejects.toThrow(TypeError)
    }
  })

  it('hashes keys into its namespace, so configurations never share a token', async () => {
    const prefix = uniquePrefix()
    const store = storeAt(() => NOW, prefix)
    const keys = [
      'endpoint|billing|orders:read',
      'endpoint|billing|orders:read orders:write',
      '*',
      '\r\nDEL x',
    ]
    for (const [i, key] of keys.entries()) await store.set(key, token(60_000 + i))
    for (const [i, key] of keys.entries()) expect((await store.get(key))?.expiresAt).toBe(NOW + 60_000 + i)
    for (const key of await redis.look.keys(prefix))
      expect(key).toMatch(new RegExp(`^${prefix}token:[A-Za-z0-9_-]{43}$`))
    expect(await storeAt(() => NOW).get(keys[0] as string)).toBeUndefined() // another prefix
  })

  it('shares tokens between instances through one Redis, whatever client each uses', async () => {
    const prefix = uniquePrefix()
    await storeAt(() => NOW, prefix).set('k', token(60_000))
    const elsewhere = createRedisTokenStore(redis.look.client, { prefix, clock: () => NOW })
    expect(await elsewhere.get('k')).toEqual(token(60_000))
  })

  describe('lock', () => {
    it('is held by one instance at a time, until released', async () => {
      const prefix = uniquePrefix()
      const store = storeAt(() => NOW, prefix)
      const lock = await store.lock('k', 10_000)
      expect(lock).toBeDefined()
      expect(await store.lock('k', 10_000)).toBeUndefined()
      expect(await createRedisTokenStore(redis.look.client, { prefix }).lock('k', 10_000)).toBeUndefined()
      expect(await store.lock('another key', 10_000)).toBeDefined()
      await lock?.release()
      const next = await store.lock('k', 10_000)
      expect(next).toBeDefined()
      await next?.release()
    })

    it('expires by itself after its TTL (PX), so a crashed holder blocks nobody for long', async () => {
      const prefix = uniquePrefix()
      await storeAt(() => NOW, prefix).lock('k', 5_000)
      const [key] = await redis.look.keys(`${prefix}token-lock:`)
      const ttl = await redis.look.client.pTTL(key as string)
      expect(ttl).toBeGreaterThan(4_000)
      expect(ttl).toBeLessThanOrEqual(5_000)
    })

    it('lets only its holder release it: a lock that expired and was retaken stays with its new holder', async () => {
      const prefix = uniquePrefix()
      const store = storeAt(() => NOW, prefix)
      const first = await store.lock('k', 10_000)
      const [key] = await redis.look.keys(`${prefix}token-lock:`)
      await redis.look.client.del(key as string) // as if its TTL ran out
      const second = await store.lock('k', 10_000)
      expect(second).toBeDefined()
      await first?.release()
      await first?.release()
      expect(await store.lock('k', 10_000)).toBeUndefined()
      await second?.release()
      expect(await store.lock('k', 10_000)).toBeDefined()
    })

    it('goes to exactly one of many instances racing for it', async () => {
      const prefix = uniquePrefix()
      const stores = [storeAt(() => NOW, prefix), createRedisTokenStore(redis.look.client, { prefix })]
      const locks = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]?.lock('k', 10_000)))
      expect(locks.filter((lock) => lock !== undefined)).toHaveLength(1)
    })

    // Redis holds every write for up to 10 s (a real stall, as a slow command elsewhere causes): the
    // SET NX is answered only after the lock() gave up on it.
    async function timedOutLock(prefix: string) {
      const store = createRedisTokenStore(connected.client, { prefix, clock: () => NOW, timeout: 100 })
      await redis.look.client.sendCommand(['CLIENT', 'PAUSE', '10000', 'WRITE'])
      try {
        const error = await store.lock('k', 30_000).catch((caught: unknown) => caught)
        expect(error).toMatchObject({ name: 'RedisStoreError', reason: 'timeout' })
      } finally {
        await redis.look.client.sendCommand(['CLIENT', 'UNPAUSE'])
      }
      // Redis answers one connection in order: once this is answered, the late SET and what the
      // store sent after it have run.
      await store.get('k')
      return store
    }

    it('that times out leaves no lock behind when Redis runs the SET late', async () => {
      const prefix = uniquePrefix()
      const store = await timedOutLock(prefix)
      expect(await redis.look.keys(`${prefix}token-lock:`)).toEqual([])
      const next = await store.lock('k', 30_000)
      expect(next).toBeDefined()
      await next?.release()
    })

    it('that times out does not release the lock another instance holds', async () => {
      const prefix = uniquePrefix()
      const holder = await createRedisTokenStore(redis.look.client, { prefix }).lock('k', 30_000)
      await timedOutLock(prefix)
      expect(await redis.look.keys(`${prefix}token-lock:`)).toHaveLength(1)
      await holder?.release()
      expect(await redis.look.keys(`${prefix}token-lock:`)).toEqual([])
    })

    it('refuses a TTL that is not a positive whole number of milliseconds up to 10 minutes', async () => {
      const store = storeAt(() => NOW)
      for (const ttl of [0, -1, 1.5, Number.NaN, 600_001, '100']) {
        await expect(store.lock('k', ttl as number)).rejects.toThrow(TypeError)
      }
    })
  })
})
