import { createRedisReplayStore, createRedisTokenStore, RedisStoreError } from '@m2m-guard/redis'
import { afterEach, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../test/support/redis-server.js'
import { CLIENT_KINDS, type Connected, connectClient, inspector, uniquePrefix } from './helpers/clients.js'

describe('clients accepted', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a URL', 'redis://127.0.0.1:6379'],
    ['an empty object', {}],
    ['a node-redis cluster', { sendCommand: async () => 'OK', isOpen: true }],
    ['an ioredis look-alike without status', { call: async () => 'OK' }],
  ])('refuses %s with a TypeError naming the option', (_, client) => {
    expect(() => createRedisReplayStore(client as never)).toThrow(/"client" must be/)
    expect(() => createRedisTokenStore(client as never)).toThrow(/"client" must be/)
  })

  it('refuses options that are wrong, naming them', () => {
    const client = { sendCommand: async () => 'OK', isReady: true }
    expect(() => createRedisReplayStore(client, { prefix: 5 as never })).toThrow(/"prefix"/)
    expect(() => createRedisReplayStore(client, { prefix: 'p'.repeat(257) })).toThrow(/"prefix"/)
    for (const timeout of [0, -1, 1.5, Number.POSITIVE_INFINITY, '100']) {
      expect(() => createRedisTokenStore(client, { timeout: timeout as number })).toThrow(/"timeout"/)
    }
    expect(() => createRedisTokenStore(client, { clock: 5 as never })).toThrow(/"clock"/)
    expect(() => createRedisTokenStore(client, null as never)).toThrow(TypeError)
  })

  it('looks at the client once, when the store is created', async () => {
    let reads = 0
    const sent: string[][] = []
    const client = {
      sendCommand: async (args: string[]) => {
        sent.push(args)
        return 'OK'
      },
      get isReady() {
        reads++
        return true
      },
    }
    const store = createRedisReplayStore(client, { prefix: 'p:' })
    const shapeReads = reads
    const proto = Object.getPrototypeOf(client)
    expect(await store.claim('a', Date.now() + 1000)).toBe(true)
    expect(sent[0]?.slice(0, 2)).toEqual(['SET', expect.stringMatching(/^p:dpop-jti:/)])
    expect(sent[0]?.slice(3, 5)).toEqual(['NX', 'PX'])
    expect(Object.getPrototypeOf(client)).toBe(proto)
    // Per call, only readiness is read; the shape is not detected again.
    expect(reads - shapeReads).toBe(1)
  })
})

describe.each(CLIENT_KINDS)('when Redis fails, with %s', (kind) => {
  let server: RedisServer | undefined
  let connected: Connected | undefined
  afterEach(async () => {
    await connected?.close()
    await server?.stop()
  })

  it.each([
    ['a client that gives up', false],
    ['a client that keeps reconnecting', true],
  ])('rejects, without hanging, once redis-server has stopped mid-way (%s)', async (_, reconnect) => {
    server = await startRedisServer()
    connected = await connectClient(kind, server.url, { reconnect })
    const options = { prefix: uniquePrefix(), timeout: 1000 }
    const replay = createRedisReplayStore(connected.client, options)
    const tokens = createRedisTokenStore(connected.client, options)
    expect(await replay.claim('before', Date.now() + 60_000)).toBe(true)
    expect(await tokens.lock('k', 1000)).toBeDefined()

    await server.stop()
    expect(server.running).toBe(false)
    for (let i = 0; i < 3; i++) {
      const failures = await Promise.allSettled([
        replay.claim(`after-${i}`, Date.now() + 60_000),
        tokens.get('k'),
        tokens.set('k', { accessToken: 'a', tokenType: 'Bearer', expiresAt: Date.now() + 60_000 }),
        tokens.lock('k', 1000),
      ])
      for (const failure of failures) {
        expect(failure.status).toBe('rejected')
        expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(RedisStoreError)
      }
    }
  })

  it('rejects with reason "timeout" when Redis is too slow to answer', async () => {
    server = await startRedisServer()
    connected = await connectClient(kind, server.url)
    const look = await inspector(server.url)
    try {
      const replay = createRedisReplayStore(connected.client, { prefix: uniquePrefix(), timeout: 100 })
      // Redis holds every write command for 3 s: a real slow server, not a fake one.
      await look.client.sendCommand(['CLIENT', 'PAUSE', '3000', 'WRITE'])
      const error = await replay.claim('slow', Date.now() + 60_000).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RedisStoreError)
      expect((error as RedisStoreError).reason).toBe('timeout')
      expect((error as RedisStoreError).message).not.toContain('slow')
      await look.client.sendCommand(['CLIENT', 'UNPAUSE'])
    } finally {
      await look.close()
    }
  })

  it('rejects with reason "command_failed" when Redis answers an error', async () => {
    server = await startRedisServer()
    connected = await connectClient(kind, server.url)
    const look = await inspector(server.url)
    try {
      const prefix = uniquePrefix()
      const tokens = createRedisTokenStore(connected.client, { prefix })
      await tokens.set('k', { accessToken: 'a', tokenType: 'Bearer', expiresAt: Date.now() + 60_000 })
      const [key] = await look.keys(prefix)
      await look.client.del(key as string)
      await look.client.hSet(key as string, 'not', 'a string') // GET on a hash: WRONGTYPE
      const error = await tokens.get('k').catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RedisStoreError)
      expect((error as RedisStoreError).reason).toBe('command_failed')
      expect((error as RedisStoreError).cause).toBeDefined()
    } finally {
      await look.close()
    }
  })
})

describe('a client that has been closed', () => {
  it.each(CLIENT_KINDS)('%s: rejects with reason "not_ready" and sends nothing', async (kind) => {
    const server = await startRedisServer()
    const connected = await connectClient(kind, server.url)
    await connected.close()
    try {
      const store = createRedisReplayStore(connected.client)
      const error = await store.claim('x', Date.now() + 1000).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(RedisStoreError)
      expect((error as RedisStoreError).reason).toBe('not_ready')
    } finally {
      await server.stop()
    }
  })
})
