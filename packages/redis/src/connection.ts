import { RedisStoreError } from './errors.js'

/**
 * A node-redis client (`createClient()` from `redis` 5 or later, or `@redis/client`): the part of it
 * the stores use. Connect it (`await client.connect()`) before the stores are used.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * const client: NodeRedisClient = await createClient({ url: 'redis://127.0.0.1:6379' }).connect()
 * ```
 */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>
  readonly isReady: boolean
}

/**
 * An ioredis client (`new Redis()` from `ioredis`): the part of it the stores use.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const client: IoRedisClient = new Redis({ host: '127.0.0.1', port: 6379 })
 * ```
 */
export interface IoRedisClient {
  call(command: string, ...args: string[]): Promise<unknown>
  readonly status: string
}

/**
 * The Redis clients the stores accept: node-redis (recommended by Redis for new projects) or ioredis.
 *
 * @example
 * ```ts
 * const store = createRedisReplayStore(client satisfies RedisClient)
 * ```
 */
export type RedisClient = NodeRedisClient | IoRedisClient

/** Sends one command and resolves with its reply, or rejects with a {@link RedisStoreError}. */
export type SendCommand = (args: [string, ...string[]]) => Promise<unknown>

// ioredis queues commands while it is not connected; these states mean it is not going to answer soon.
const IOREDIS_DOWN = new Set(['reconnecting', 'close', 'end'])

/**
 * Recognises the client once, by its shape, and returns a function that sends a command through it
 * with a bounded wait. A command is not sent while the client is disconnected, so an outage neither
 * hangs callers nor fills the client's offline queue.
 */
export function connect(client: unknown, timeout: number, option: string): SendCommand {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(`"${option}" must be a node-redis or ioredis client`)
  }
  const candidate = client as Record<string, unknown>
  // ioredis also has a `sendCommand` (taking a Command object), so `call` decides first.
  if (typeof candidate.call === 'function' && typeof candidate.status === 'string') {
    const ioredis = client as IoRedisClient
    return bounded(
      timeout,
      () => !IOREDIS_DOWN.has(ioredis.status),
      ([name, ...args]) => ioredis.call(name, ...args),
    )
  }
  if (typeof candidate.sendCommand === 'function' && typeof candidate.isReady === 'boolean') {
    const nodeRedis = client as NodeRedisClient
    return bounded(
      timeout,
      () => nodeRedis.isReady,
      (args) => nodeRedis.sendCommand(args),
    )
  }
  throw new TypeError(
    `"${option}" must be a node-redis client (createClient() from "redis" 5+) or an ioredis client; node-redis clusters are not supported`,
  )
}

function bounded(
  timeout: number,
  ready: () => boolean,
  send: (args: [string, ...string[]]) => Promise<unknown>,
): SendCommand {
  return (args) => {
    if (!ready()) return Promise.reject(new RedisStoreError('redis client is not connected', 'not_ready'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new RedisStoreError(`redis did not answer ${args[0]} within ${timeout} ms`, 'timeout'))
      }, timeout)
      // An idle store must not keep the process alive.
      timer.unref()
      let sent: Promise<unknown>
      try {
        sent = Promise.resolve(send(args))
      } catch (error) {
        sent = Promise.reject(error)
      }
      sent.then(
        (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(new RedisStoreError(`redis ${args[0]} failed`, 'command_failed', { cause: error }))
        },
      )
    })
  }
}
