/**
 * Token clients sharing one real redis-server through createRedisTokenStore, when Redis stalls just as
 * an instance takes the renewal lock: the lock must not stay behind for lockTtl with no owner, and
 * the token that instance fetched for itself must reach the others, so that nobody waits maxWait.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenClient, type TokenClientEvent, type TokenStore } from '@m2m-guard/client'
import { createRedisTokenStore } from '@m2m-guard/redis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Connected, connectClient, uniquePrefix, useRedisServer } from './helpers/clients.js'

const redis = useRedisServer()

// A real token endpoint on 127.0.0.1: token-<n> for the n-th request.
let tokenRequests = 0
const endpoint = createServer((_, res) => {
  tokenRequests++
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ access_token: `token-${tokenRequests}`, token_type: 'Bearer', expires_in: 600 }))
})
let tokenEndpoint: string
let connections: Connected[]

beforeEach(async () => {
  tokenRequests = 0
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve))
  tokenEndpoint = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`
  connections = []
})
afterEach(async () => {
  await redis.look.client.sendCommand(['CLIENT', 'UNPAUSE'])
  await Promise.all(connections.map((connection) => connection.close()))
  endpoint.closeAllConnections()
  await new Promise<void>((resolve, reject) => endpoint.close((error) => (error ? reject(error) : resolve())))
})

async function connection() {
  const connected = await connectClient('node-redis 5', redis.server.url)
  connections.push(connected)
  return connected.client
}
const options = { clientId: 'billing', clientSecret: 'billing-secret', scope: 'orders:read' }

describe('a Redis that stalls while an instance takes the lock', () => {
  it.each([
    ['the token client gives up first', { redisTimeout: 5_000, clientTimeout: 200, reason: 'timeout' }],
    ['the Redis store gives up first', { redisTimeout: 100, clientTimeout: 2_000, reason: 'error' }],
  ])('%s: no lock is left behind, and the next instance takes the stored token at once', async (_, case_) => {
    const prefix = uniquePrefix()
    const stalled = createRedisTokenStore(await connection(), { prefix, timeout: case_.redisTimeout })
    let paused = false
    const resume = async () => {
      if (!paused) return
      paused = false
      await redis.look.client.sendCommand(['CLIENT', 'UNPAUSE'])
    }
    // Redis holds every write from the moment A asks for the lock until A stores its token; then
    // it runs them, the late SET NX first.
    const storeA: TokenStore = {
      get: (key) => stalled.get(key),
      lock: async (key, ttlMs) => {
        await redis.look.client.sendCommand(['CLIENT', 'PAUSE', '10000', 'WRITE'])
        paused = true
        return stalled.lock(key, ttlMs)
      },
      set: async (key, token) => {
        await resume()
        return stalled.set(key, token)
      },
    }
    const events: Array<TokenClientEvent & { instance: string }> = []
    const a = createTokenClient({
      ...options,
      tokenEndpoint,
      store: storeA,
      storeOptions: { timeout: case_.clientTimeout },
      onEvent: (event) => events.push({ ...event, instance: 'A' }),
    })
    expect(await a.getToken()).toBe('token-1')
    await resume()
    expect(events).toEqual([
      expect.objectContaining({ type: 'store_fallback', operation: 'lock', reason: case_.reason }),
      expect.objectContaining({ type: 'token_fetched', source: 'token_endpoint' }),
    ])

    // Whatever A's connection still had queued (the late SET NX, a release) has run once this is answered.
    await new Promise((resolve) => setImmediate(resolve))
    await stalled.get('anything')
    expect(await redis.look.keys(`${prefix}token-lock:`)).toEqual([])

    // B waits for nobody: A's token is in Redis. (Its sleep would be a wait for a lock holder.)
    const sleeps: number[] = []
    const b = createTokenClient({
      ...options,
      tokenEndpoint,
      store: createRedisTokenStore(await connection(), { prefix }),
      sleep: async (ms) => {
        sleeps.push(ms)
      },
      onEvent: (event) => events.push({ ...event, instance: 'B' }),
    })
    expect(await b.getToken()).toBe('token-1')
    expect(sleeps).toEqual([])
    expect(tokenRequests).toBe(1)
    expect(events.filter((event) => event.instance === 'B')).toEqual([
      expect.objectContaining({ type: 'token_fetched', source: 'store' }),
    ])
  })
})
