/**
 * Connected clients of every library the stores accept, against one real redis-server, plus a raw
 * node-redis client for looking at what the stores wrote.
 */

import type { RedisClient } from '@m2m-guard/redis'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { createClient as createClient6 } from 'redis6'
import { afterAll, beforeAll } from 'vitest'
import { type RedisServer, startRedisServer } from '../../../../test/support/redis-server.js'

export type ClientKind = 'node-redis 5' | 'node-redis 6' | 'ioredis'
export const CLIENT_KINDS: ClientKind[] = ['node-redis 5', 'node-redis 6', 'ioredis']

export interface Connected {
  client: RedisClient
  close(): Promise<void>
}

/**
 * A connected client. Without `reconnect` it gives up on a lost connection at once; with it, it keeps
 * reconnecting as each library does by default (and as applications run it). Errors are listened to,
 * as every application must (an unheard `error` event would crash the process).
 */
export async function connectClient(
  kind: ClientKind,
  url: string,
  { reconnect = false } = {},
): Promise<Connected> {
  if (kind === 'ioredis') {
    const client = new Redis(url, { lazyConnect: true, ...(reconnect ? {} : { retryStrategy: () => null }) })
    client.on('error', () => {})
    await client.connect()
    return {
      client,
      close: async () => {
        const connectedNow = client.status === 'ready'
        const ended = new Promise((resolve) => client.once('end', resolve))
        client.disconnect()
        // While reconnecting, ioredis 6 stops without an 'end' event (and its status stays as it was).
        if (connectedNow) await ended
      },
    }
  }
  const options = { url, socket: reconnect ? {} : { reconnectStrategy: false as const } }
  const client = kind === 'node-redis 5' ? createClient(options) : createClient6(options)
  client.on('error', () => {})
  await client.connect()
  return {
    client,
    close: async () => {
      if (client.isOpen) client.destroy()
    },
  }
}

/** A plain node-redis client for inspecting keys (PTTL, SCAN) and for interfering (CLIENT PAUSE). */
export async function inspector(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } })
  client.on('error', () => {})
  await client.connect()
  return {
    client,
    /** Every key under `prefix`, by SCAN. */
    async keys(prefix: string): Promise<string[]> {
      const found: string[] = []
      for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) found.push(...batch)
      return found.sort()
    },
    close: async () => {
      if (client.isOpen) client.destroy()
    },
  }
}

let counter = 0
/** A prefix no other test uses, so tests share one server without seeing each other's keys. */
export const uniquePrefix = () => `test-${process.pid}-${++counter}:`

/**
 * One redis-server (and an inspector on it) for every test of the file that calls this: started before
 * the first test, stopped after the last.
 */
export function useRedisServer() {
  const shared = {} as { server: RedisServer; look: Awaited<ReturnType<typeof inspector>> }
  beforeAll(async () => {
    shared.server = await startRedisServer()
    shared.look = await inspector(shared.server.url)
  })
  afterAll(async () => {
    await shared.look?.close()
    await shared.server?.stop()
  })
  return shared
}
