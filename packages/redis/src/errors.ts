/**
 * Why a Redis store operation failed. Stable identifiers, meant for logs, metrics and `switch` statements.
 *
 * - `not_ready`: the Redis client is not connected (never connected, closed, or reconnecting). The
 *   command was not sent, so nothing piles up in the client's offline queue during an outage.
 * - `timeout`: Redis did not answer within the store's `timeout` option.
 * - `command_failed`: Redis or the client library answered with an error.
 * - `unexpected_reply`: Redis answered something the command never returns.
 *
 * @example
 * ```ts
 * if (err instanceof RedisStoreError && err.reason === 'timeout') metrics.increment('redis.timeout')
 * ```
 */
export type RedisStoreFailure = 'not_ready' | 'timeout' | 'command_failed' | 'unexpected_reply'

/**
 * A Redis store could not do what it was asked. Core answers 503 when its replay store throws this
 * (fail closed); the token client falls back to its own token. Never carries a key, an id or a token.
 *
 * @example
 * ```ts
 * try {
 *   await store.claim(id, expiresAt)
 * } catch (err) {
 *   if (err instanceof RedisStoreError) log.warn({ reason: err.reason }, 'replay store unavailable')
 *   throw err
 * }
 * ```
 */
export class RedisStoreError extends Error {
  override readonly name = 'RedisStoreError'
  /** Stable error code, as jose and Node.js name theirs. */
  readonly code = 'ERR_M2M_REDIS_STORE'
  readonly reason: RedisStoreFailure

  constructor(message: string, reason: RedisStoreFailure, options?: { cause?: unknown }) {
    super(message, options)
    this.reason = reason
  }
}
