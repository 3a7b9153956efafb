import { TokenRequestError } from './errors.js'
import type { TokenClientEvent } from './events.js'
import type { TokenResponse } from './token-response.js'

/**
 * A token with the moments that matter to the cache, in clock milliseconds.
 *
 * @example
 * ```ts
 * const times = scheduleToken({ accessToken, lifetime: 600_000, scope: undefined, sentAt: 0 }, 60_000)
 * // { renewAt: 480_000, serveUntil: 595_000, expiresAt: 600_000, … }
 * ```
 */
export interface CachedToken {
  accessToken: string
  tokenType: 'Bearer' | 'DPoP'
  lifetime: number
  expiresAt: number
  /** From here on, a getToken call starts a renewal in the background. */
  renewAt: number
  /** Until here the token is handed out; after it, callers wait for a new one. */
  serveUntil: number
}

/** A token is not handed out in its last 5 seconds (or last 10% for very short lifetimes): it must
 * still be valid when it reaches the API, across network delay and clock skew. */
const EXPIRY_MARGIN = 5_000

/**
 * Computes when a token should be renewed: once 80% of its lifetime has passed or less than
 * `renewBefore` is left, whichever is earlier, but never before half of it (a `renewBefore` longer
 * than the lifetime would otherwise renew on every call).
 *
 * @example
 * ```ts
 * scheduleToken(response, 60_000).renewAt
 * ```
 */
export function scheduleToken(response: TokenResponse, renewBefore: number): CachedToken {
  const { accessToken, tokenType, lifetime, sentAt } = response
  const expiresAt = sentAt + lifetime
  const renewAt = Math.max(
    sentAt + lifetime * 0.5,
    Math.min(sentAt + lifetime * 0.8, expiresAt - renewBefore),
  )
  return {
    accessToken,
    tokenType,
    lifetime,
    expiresAt,
    renewAt,
    serveUntil: expiresAt - Math.min(EXPIRY_MARGIN, lifetime * 0.1),
  }
}

/**
 * One token request sequence (with its retries) under way. `keepAlive()` is called when a caller
 * starts waiting on it, so that its backoff timers then hold the process open.
 *
 * @example
 * ```ts
 * const flight: Flight = { result: withRetry(…), keepAlive: () => timer.keepAlive() }
 * ```
 */
export interface Flight {
  /** `source`: where the token came from; the token endpoint unless said otherwise. */
  result: Promise<{ response: TokenResponse; attempts: number; source?: 'token_endpoint' | 'store' }>
  keepAlive: () => void
}

/**
 * What the cache needs: a way to get a token, the time, the renewal buffer and the event sink.
 *
 * @example
 * ```ts
 * createTokenCache({ obtain: (background) => startFlight(background), clock: Date.now, renewBefore: 60_000, emit })
 * ```
 */
export interface TokenCacheContext {
  /** Starts getting a token; `current` is the token held now (being renewed), if any. */
  obtain: (background: boolean, current: CachedToken | undefined) => Flight
  /** Told when a specific token is invalidated (an API refused it). */
  onInvalidate?: (accessToken: string) => void
  clock: () => number
  renewBefore: number
  emit: (event: TokenClientEvent) => void
}

/**
 * The cache's interface to the client.
 *
 * @example
 * ```ts
 * const { accessToken } = await cache.get()
 * cache.invalidate(accessToken) // only if it is still the cached one
 * ```
 */
export interface TokenCache {
  get(): Promise<CachedToken>
  invalidate(token?: string): void
}

/** Longest pause after a failed background renewal before a getToken call tries again. */
const RENEWAL_COOLDOWN = 30_000

/**
 * The token cache: serves the cached token while it is fresh; in the renewal window serves it
 * still and renews in the background (stale-while-revalidate, so no caller waits and no timer is
 * needed); once it is too close to expiry, callers wait for the new one. One request sequence at a
 * time, whoever asks. A failed background renewal fails nobody: the old token is served, and the
 * renewal is tried again after a pause (30 s, or half the time left, whichever is shorter; longer
 * when the server's `Retry-After` asked for more, up to the time the old token is still served).
 *
 * @example
 * ```ts
 * const cache = createTokenCache(context)
 * const [a, b] = await Promise.all([cache.get(), cache.get()]) // one token request
 * ```
 */
export function createTokenCache(context: TokenCacheContext): TokenCache {
  const { clock, emit } = context
  type Entry = { flight: Flight; token: Promise<CachedToken> }
  let current: CachedToken | undefined
  let inflight: Entry | undefined
  // Bumped by invalidate(): an answer to a request from before it is handed to its waiters but not cached.
  let generation = 0
  let renewalPausedUntil = 0

  async function settle(entry: Entry, background: boolean): Promise<CachedToken> {
    const startedIn = generation
    const hadToken = current !== undefined
    try {
      const { response, attempts, source = 'token_endpoint' } = await entry.flight.result
      const token = scheduleToken(response, context.renewBefore)
      if (startedIn === generation) {
        current = token
        renewalPausedUntil = 0
      }
      emit(
        hadToken
          ? { type: 'token_renewed', expiresIn: token.lifetime, attempts, background, source }
          : { type: 'token_fetched', expiresIn: token.lifetime, attempts, source },
      )
      return token
    } catch (error) {
      const now = clock()
      if (startedIn === generation && current !== undefined && now < current.serveUntil) {
        const left = current.serveUntil - now
        // A server that said Retry-After is not asked again before then, as long as the token we
        // hold lasts; after that callers wait for a new one anyway.
        const asked = error instanceof TokenRequestError ? (error.retryAfter ?? 0) : 0
        renewalPausedUntil = now + Math.min(left, Math.max(Math.min(RENEWAL_COOLDOWN, left / 2), asked))
      }
      throw error
    } finally {
      if (inflight === entry) inflight = undefined
    }
  }

  function start(background: boolean): Entry {
    const entry = { flight: context.obtain(background, current) } as Entry
    entry.token = settle(entry, background)
    // Callers observe failures through their own await; a background renewal nobody awaits must not
    // become an unhandled rejection.
    entry.token.catch(() => {})
    inflight = entry
    return entry
  }

  return {
    async get() {
      const now = clock()
      if (current !== undefined && now < current.serveUntil) {
        if (now >= current.renewAt && inflight === undefined && now >= renewalPausedUntil) start(true)
        return current
      }
      const entry = inflight ?? start(false)
      entry.flight.keepAlive()
      return entry.token
    },
    invalidate(token) {
      if (token !== undefined && current?.accessToken !== token) return
      // Whoever shares tokens with us must not hand this one back as "new".
      const dropped = token ?? current?.accessToken
      if (dropped !== undefined) context.onInvalidate?.(dropped)
      current = undefined
      renewalPausedUntil = 0
      // A request already under way when a specific token is found bad was started after that token
      // was issued, so its answer is a newer token: let callers share it.
      if (token === undefined) {
        generation++
        inflight = undefined
      }
    },
  }
}
