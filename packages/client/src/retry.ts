import { TokenRequestError } from './errors.js'
import type { RetryPolicy } from './resolve-options.js'

/**
 * Delay before retry number `attempt` (1 for the first retry): exponential backoff with full jitter,
 * a random time between `minDelay` and `min(maxDelay, minDelay * 2^attempt)`. The jitter spreads a
 * fleet of clients that failed together, so that they do not come back together.
 *
 * @example
 * ```ts
 * backoffDelay(1, { retries: 3, minDelay: 100, maxDelay: 10_000, maxElapsed: 30_000 }) // 100…200
 * ```
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelay, policy.minDelay * 2 ** attempt)
  return Math.round(policy.minDelay + random() * Math.max(0, ceiling - policy.minDelay))
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns milliseconds
 * from `now`, or `undefined` when the header is absent or unreadable.
 *
 * @example
 * ```ts
 * parseRetryAfter('2', Date.now()) // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.now()) // 0 (in the past)
 * ```
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // Only the HTTP-date form, not anything Date.parse happens to accept.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * Waits between attempts. Its timer does not keep the process alive while only a background
 * renewal is waiting; once a caller awaits the outcome, `keepAlive()` makes it hold the process open
 * (otherwise a script awaiting its first token could exit mid-backoff).
 *
 * @example
 * ```ts
 * const waiter = new BackoffTimer(false)
 * const waiting = waiter.sleep(200)
 * waiter.keepAlive() // a caller now awaits the result
 * await waiting
 * ```
 */
export class BackoffTimer {
  #keepAlive: boolean
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(keepAlive: boolean) {
    this.#keepAlive = keepAlive
  }

  keepAlive(): void {
    this.#keepAlive = true
    this.#timer?.ref?.()
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timer = setTimeout(resolve, ms)
      if (!this.#keepAlive) this.#timer.unref?.()
    })
  }
}

/**
 * What {@link withRetry} needs besides the operation.
 *
 * @example
 * ```ts
 * const context: RetryContext = { policy, clock: Date.now, sleep: (ms) => timer.sleep(ms), onFailure: () => {} }
 * ```
 */
export interface RetryContext {
  policy: RetryPolicy
  clock: () => number
  sleep: (ms: number) => Promise<void>
  /** Told about every failed attempt, and the delay before the next one (`undefined`: giving up). */
  onFailure: (error: TokenRequestError, attempt: number, retryIn: number | undefined) => void
  random?: () => number
}

/**
 * Runs `operation` until it succeeds or fails for good: a non-retryable error, `policy.retries`
 * exhausted, no time left within `policy.maxElapsed`, or a `Retry-After` longer than `policy.maxDelay`
 * (or past `maxElapsed`): the server's wait is honoured, never shortened, so the client gives up with
 * the error, whose `retryAfter` says how long the server asked for. Errors other than TokenRequestError are
 * programming errors and are rethrown as they are.
 *
 * @example
 * ```ts
 * const token = await withRetry((attempt) => requestToken(attempt), context)
 * ```
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  context: RetryContext,
): Promise<T> {
  const { policy, clock } = context
  const started = clock()
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (!(error instanceof TokenRequestError)) throw error
      let retryIn: number | undefined
      if (error.retryable && attempt <= policy.retries) {
        retryIn = error.retryAfter ?? backoffDelay(attempt, policy, context.random)
        // A Retry-After longer than maxDelay is honoured by giving up (the error carries it), not by
        // asking again early, which a rate-limiting server counts against us. Sleeping only to give
        // up afterwards helps nobody either: stop now if the retry would start too late.
        if (retryIn > policy.maxDelay || clock() - started + retryIn > policy.maxElapsed) retryIn = undefined
      }
      context.onFailure(error, attempt, retryIn)
      if (retryIn === undefined) throw error.attempts === attempt ? error : error.withAttempts(attempt)
      await context.sleep(retryIn)
    }
  }
}
