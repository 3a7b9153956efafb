import type { TokenClientEvent } from './events.js'
import { BackoffTimer } from './retry.js'
import type { CachedToken, Flight } from './token-cache.js'
import type { TokenResponse } from './token-response.js'
import type { StoredToken, TokenLock, TokenStore } from './token-store.js'

/**
 * What sharing a token through a {@link TokenStore} needs.
 *
 * @example
 * ```ts
 * const shared = shareThroughStore({ store, key, timeout: 1_000, lockTtl: 30_000, maxWait: 10_000, … })
 * ```
 */
export interface SharedTokenContext {
  store: TokenStore
  key: string
  /** Longest wait for one store operation. */
  timeout: number
  lockTtl: number
  /** Longest wait for another instance's renewal. */
  maxWait: number
  tokenType: 'Bearer' | 'DPoP'
  clock: () => number
  sleep: ((ms: number) => Promise<void>) | undefined
  emit: (event: TokenClientEvent) => void
  /** Asks the token endpoint ourselves (with retries). */
  fetchOwn: (background: boolean) => Flight
}

/**
 * The client's side of a shared token: `obtain` replaces the direct token request, and `reject`
 * tells it that a token was refused by an API, so that the same token is not taken from the store
 * again.
 *
 * @example
 * ```ts
 * const flight = shared.obtain(false, undefined)
 * ```
 */
export interface SharedToken {
  obtain(background: boolean, current: CachedToken | undefined): Flight
  reject(accessToken: string): void
}

/**
 * A stored token with no more than this left is not taken: it is inside the margin the cache never
 * hands out (its last 5 s), so it could expire on its way to the API. Short, so that a fleet with
 * short-lived tokens still shares them.
 */
const MIN_REMAINING = 5_000
/** Polls of the store while another instance renews: 50 ms doubling to 1 s, at most this many. */
const MAX_POLLS = 40
const FIRST_POLL = 50
const LONGEST_POLL = 1_000

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: 'error' | 'timeout' }

// A store that is down or slow must never fail or hang a call: every operation is bounded, and its
// failure is an answer ("unavailable"), never a throw. A late answer is ignored, or handed to `late`
// (a lock granted after we gave up on it must be given back).
async function bounded<T>(
  operation: () => Promise<T>,
  timeout: number,
  late?: (value: T) => void,
): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), timeout)
    timer.unref?.()
  })
  const attempt = Promise.resolve()
    .then(operation)
    .then(
      (value): Outcome<T> => ({ ok: true, value }),
      (): Outcome<T> => ({ ok: false, reason: 'error' }),
    )
  try {
    const outcome = await Promise.race([attempt, expired])
    if (late !== undefined && !outcome.ok && outcome.reason === 'timeout') {
      void attempt.then((answer) => {
        if (answer.ok) late(answer.value)
      })
    }
    return outcome
  } finally {
    clearTimeout(timer)
  }
}

function toStored(response: TokenResponse): StoredToken {
  return {
    accessToken: response.accessToken,
    tokenType: response.tokenType,
    expiresAt: response.sentAt + response.lifetime,
    ...(response.scope === undefined ? {} : { scope: response.scope }),
  }
}

/**
 * Shares one token, and one renewal per lifetime, among the instances that use the same store and
 * configuration: take the stored token if it is newer than ours; else take the lock, ask the token
 * endpoint, store the answer; else (another instance renews) poll the store, bounded by `maxWait`,
 * taking the lock if it frees up. Whenever the store fails or is slower than `timeout`, this
 * instance asks the token endpoint itself and says so in a `store_fallback` event: the store never
 * fails a call. When it was the lock that failed, the token is still offered to the store (bounded,
 * best effort), and a lock that the store grants after the timeout is released.
 *
 * @example
 * ```ts
 * const shared = shareThroughStore(context)
 * const { response } = await shared.obtain(false, undefined).result
 * ```
 */
export function shareThroughStore(context: SharedTokenContext): SharedToken {
  const { store, key, clock, emit } = context
  let rejected: string | undefined

  function usable(token: unknown, current: CachedToken | undefined): token is StoredToken {
    if (typeof token !== 'object' || token === null) return false
    const { accessToken, tokenType, expiresAt } = token as Partial<StoredToken>
    return (
      typeof accessToken === 'string' &&
      accessToken.length > 0 &&
      accessToken !== rejected &&
      accessToken !== current?.accessToken &&
      typeof tokenType === 'string' &&
      tokenType.toLowerCase() === context.tokenType.toLowerCase() &&
      typeof expiresAt === 'number' &&
      Number.isFinite(expiresAt) &&
      expiresAt - clock() > MIN_REMAINING &&
      // While renewing, only a newer token helps; the one we hold is already in its renewal window.
      expiresAt > (current?.expiresAt ?? 0)
    )
  }

  function fromStore(token: StoredToken): { response: TokenResponse; attempts: number; source: 'store' } {
    const now = clock()
    const scope = typeof token.scope === 'string' ? token.scope : undefined
    return {
      response: {
        accessToken: token.accessToken,
        tokenType: context.tokenType,
        lifetime: token.expiresAt - now,
        scope,
        sentAt: now,
      },
      attempts: 0,
      source: 'store',
    }
  }

  return {
    reject(accessToken) {
      rejected = accessToken
    },
    obtain(background, current) {
      const timer = new BackoffTimer(!background)
      const sleep = context.sleep ?? ((ms: number) => timer.sleep(ms))
      let own: Flight | undefined
      let keepAlive = !background
      const fetchOwn = () => {
        own = context.fetchOwn(!keepAlive)
        return own.result
      }
      const fallBack = (operation: 'get' | 'lock' | 'wait', reason: 'error' | 'timeout') => {
        emit({ type: 'store_fallback', operation, reason })
        return fetchOwn()
      }
      const keep = async (response: TokenResponse, lock: TokenLock | undefined) => {
        const set = await bounded(() => store.set(key, toStored(response)), context.timeout)
        if (!set.ok) emit({ type: 'store_error', operation: 'set', reason: set.reason })
        if (lock === undefined) return
        const released = await bounded(() => lock.release(), context.timeout)
        if (!released.ok) emit({ type: 'store_error', operation: 'release', reason: released.reason })
      }
      const fetchAndKeep = async (lock: TokenLock | undefined) => {
        try {
          const result = await fetchOwn()
          await keep(result.response, lock)
          return result
        } catch (error) {
          // A failed renewal leaves the lock to its TTL only if releasing fails too.
          if (lock !== undefined) await bounded(() => lock.release(), context.timeout)
          throw error
        }
      }
      const giveBack = (lock: TokenLock | undefined) => {
        if (lock !== undefined) void bounded(() => lock.release(), context.timeout)
      }
      const run = async () => {
        const found = await bounded(() => store.get(key), context.timeout)
        if (!found.ok) return fallBack('get', found.reason)
        if (usable(found.value, current)) return fromStore(found.value)
        const started = clock()
        let delay = FIRST_POLL
        for (let poll = 0; ; poll++) {
          const locked = await bounded(() => store.lock(key, context.lockTtl), context.timeout, giveBack)
          if (!locked.ok) {
            // The lock may yet be taken (a slow store): our token is then stored for the others,
            // who would otherwise wait for it until maxWait, and a late lock is given back.
            emit({ type: 'store_fallback', operation: 'lock', reason: locked.reason })
            return fetchAndKeep(undefined)
          }
          if (locked.value !== undefined) return fetchAndKeep(locked.value)
          // Another instance is renewing: wait for its token, bounded in time and in count.
          if (poll >= MAX_POLLS || clock() - started + delay > context.maxWait) break
          await sleep(delay)
          delay = Math.min(delay * 2, LONGEST_POLL)
          const again = await bounded(() => store.get(key), context.timeout)
          if (!again.ok) return fallBack('get', again.reason)
          if (usable(again.value, current)) return fromStore(again.value)
        }
        emit({ type: 'store_fallback', operation: 'wait', reason: 'timeout' })
        return fetchAndKeep(undefined)
      }
      return {
        result: run(),
        keepAlive: () => {
          keepAlive = true
          timer.keepAlive()
          own?.keepAlive()
        },
      }
    },
  }
}
