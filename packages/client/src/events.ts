import type { TokenRequestFailure } from './errors.js'

/**
 * A token was obtained while none was cached: the first token, or the first after `invalidate()`.
 *
 * @example
 * ```ts
 * { type: 'token_fetched', expiresIn: 3_600_000, attempts: 1, source: 'token_endpoint' }
 * ```
 */
export interface TokenFetchedEvent {
  type: 'token_fetched'
  /** Lifetime of the new token, in milliseconds. */
  expiresIn: number
  /** Requests it took, counting retries (0 when it came from the store). */
  attempts: number
  /** `store`: another instance's token, taken from the `store`; else asked of the token endpoint. */
  source: 'token_endpoint' | 'store'
}

/**
 * A cached token was replaced: renewed ahead of its expiry, or after it had expired.
 *
 * @example
 * ```ts
 * { type: 'token_renewed', expiresIn: 3_600_000, attempts: 1, background: true, source: 'store' }
 * ```
 */
export interface TokenRenewedEvent {
  type: 'token_renewed'
  expiresIn: number
  attempts: number
  /** True when callers were served the old, still valid token while this renewal ran. */
  background: boolean
  source: 'token_endpoint' | 'store'
}

/**
 * One request for a token failed. Emitted for every failed attempt; `retryIn` says whether another
 * follows. Never carries the secret, the assertion or a token.
 *
 * @example
 * ```ts
 * { type: 'token_request_failed', attempt: 1, reason: 'http_error', status: 503, error: undefined, retryIn: 240 }
 * ```
 */
export interface TokenRequestFailedEvent {
  type: 'token_request_failed'
  /** 1 for the first request, 2 for the first retry, … */
  attempt: number
  reason: TokenRequestFailure
  status: number | undefined
  /** The server's OAuth error code, if it sent one. */
  error: string | undefined
  /** Milliseconds until the next attempt, or `undefined` when the client gives up. */
  retryIn: number | undefined
}

/**
 * The token endpoint answered `invalid_client` and the credential option is a function, so it was
 * read again. `changed`: the credential was rotated meanwhile, and the request is sent once more
 * with the new one; otherwise the `invalid_client` error stands.
 *
 * @example
 * ```ts
 * { type: 'credential_reread', changed: true }
 * ```
 */
export interface CredentialRereadEvent {
  type: 'credential_reread'
  changed: boolean
}

/**
 * The `store` could not give this instance a token, so it asked the token endpoint itself: the store
 * failed or was slower than `storeOptions.timeout` (`get`, `lock`), or another instance's renewal did
 * not reach the store within `storeOptions.maxWait` (`wait`). No call fails because of the store.
 *
 * @example
 * ```ts
 * { type: 'store_fallback', operation: 'get', reason: 'timeout' }
 * ```
 */
export interface StoreFallbackEvent {
  type: 'store_fallback'
  operation: 'get' | 'lock' | 'wait'
  reason: 'error' | 'timeout'
}

/**
 * A token was obtained, but the `store` could not keep it for the other instances (`set`), or the
 * renewal lock could not be released (`release`; it expires after `storeOptions.lockTtl`).
 *
 * @example
 * ```ts
 * { type: 'store_error', operation: 'set', reason: 'error' }
 * ```
 */
export interface StoreErrorEvent {
  type: 'store_error'
  operation: 'set' | 'release'
  reason: 'error' | 'timeout'
}

/**
 * Everything `onEvent` may receive, discriminated by `type`.
 *
 * @example
 * ```ts
 * const onEvent = (event: TokenClientEvent) => {
 *   if (event.type === 'token_request_failed') log.warn(event, 'token request failed')
 * }
 * ```
 */
export type TokenClientEvent =
  | TokenFetchedEvent
  | TokenRenewedEvent
  | TokenRequestFailedEvent
  | CredentialRereadEvent
  | StoreFallbackEvent
  | StoreErrorEvent

/**
 * Wraps a user's event handler so that it can never break the client: a throw or a rejected promise
 * from the handler is swallowed.
 *
 * @example
 * ```ts
 * const emit = createEmitter(options.onEvent)
 * emit({ type: 'token_fetched', expiresIn: 60_000, attempts: 1, source: 'token_endpoint' })
 * ```
 */
export function createEmitter(
  onEvent: ((event: TokenClientEvent) => unknown) | undefined,
): (event: TokenClientEvent) => void {
  if (onEvent === undefined) return () => {}
  return (event) => {
    try {
      const result = onEvent(event)
      // An async handler that rejects would otherwise surface as an unhandled rejection.
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // Observability must not take the token flow down with it.
    }
  }
}
