import { createHash } from 'node:crypto'

/**
 * Options both stores take.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { prefix: 'orders-api:', timeout: 500 }
 * ```
 */
export interface RedisStoreOptions {
  /** Put before every key, to share one Redis between applications. Default `'m2m-guard:'`. */
  prefix?: string
  /** Milliseconds to wait for Redis before the operation fails with reason `timeout`. Default 1000. */
  timeout?: number
  /** Epoch milliseconds now; the same clock as the verifier's or client's, when those are given one. */
  clock?: () => number
}

export interface ResolvedStoreOptions {
  prefix: string
  timeout: number
  clock: () => number
}

export const DEFAULT_PREFIX = 'm2m-guard:'
export const DEFAULT_TIMEOUT = 1000
const MAX_PREFIX_LENGTH = 256

/** Validates the options once, at creation, naming the option that is wrong. */
export function resolveStoreOptions(options: RedisStoreOptions | undefined): ResolvedStoreOptions {
  if (options === undefined) return { prefix: DEFAULT_PREFIX, timeout: DEFAULT_TIMEOUT, clock: Date.now }
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const { prefix = DEFAULT_PREFIX, timeout = DEFAULT_TIMEOUT, clock = Date.now } = options
  if (typeof prefix !== 'string' || prefix.length > MAX_PREFIX_LENGTH) {
    throw new TypeError(`"prefix" must be a string of at most ${MAX_PREFIX_LENGTH} characters`)
  }
  if (!Number.isSafeInteger(timeout) || timeout <= 0) {
    throw new TypeError('"timeout" must be a positive integer (milliseconds)')
  }
  if (typeof clock !== 'function')
    throw new TypeError('"clock" must be a function returning epoch milliseconds')
  return { prefix, timeout, clock }
}

/**
 * The Redis key for an id of a kind: the id is hashed, so whatever it contains (a hostile `jti`, a
 * megabyte, another key's name) it becomes a fixed-length key inside this store's namespace.
 */
export function keyFor(prefix: string, kind: string, id: string): string {
  return `${prefix}${kind}:${createHash('sha256').update(id).digest('base64url')}`
}

/** Milliseconds from now until `expiresAt`, as Redis's `PX` wants them, or 0 when it has passed. */
export function millisecondsUntil(expiresAt: number, now: number): number {
  return Math.max(Math.floor(expiresAt - now), 0)
}
