/**
 * Observability hooks. Events carry timings, outcomes and stable reasons;
 * never a token, a signature or a key's private material.
 */
import type { AuthErrorReason } from './errors.js'

/**
 * Every event the verifier reports through `onEvent`. `issuer` names the
 * issuer profile as configured (its first issuer; a `{tenantid}` template
 * stays a template), never a value read from a token, so it is safe as a
 * metric label.
 */
export type VerifierEvent =
  | {
      type: 'keys_fetched'
      issuer: string
      uri: string
      durationMs: number
      keyCount: number
      /** Why the fetch happened. */
      trigger: KeyFetchTrigger
    }
  | {
      type: 'keys_fetch_failed'
      issuer: string
      uri: string | undefined
      durationMs: number
      trigger: KeyFetchTrigger
      error: string
    }
  | { type: 'keys_stale'; issuer: string; ageMs: number; lastError: string | undefined }
  /** A key set from the `keyStore` option, adopted at a cold start instead of a fetch. */
  | { type: 'keys_restored'; issuer: string; uri: string; ageMs: number; keyCount: number }
  /** The `keyStore` failed, hung or held something unusable; verification went on without it. */
  | { type: 'key_store_failed'; issuer: string; operation: 'get' | 'set'; error: string }
  | { type: 'key_skipped'; issuer: string; kid: string | undefined; why: string }
  | { type: 'metadata_fetched'; issuer: string; uri: string; jwksUri: string; durationMs: number }
  | { type: 'token_cache_hit'; issuer: string; clientId: string | undefined }
  | { type: 'token_cache_miss' }
  | {
      type: 'token_verified'
      issuer: string
      clientId: string | undefined
      kid: string | undefined
      alg: string
    }
  | { type: 'client_certificate_unreadable'; why: string }
  | { type: 'replay_store_failed'; error: string }
  | {
      type: 'token_rejected'
      /** Set once the token's `iss` selected an issuer profile. */
      issuer?: string | undefined
      status: number
      reason: AuthErrorReason
      description: string
      /** Set when the token was valid but did not meet a requirement. */
      clientId?: string | undefined
    }

/** What made the key set fetch: first use, expiry, an unknown `kid`, or `warmUp()`. */
export type KeyFetchTrigger = 'initial' | 'expired' | 'unknown_kid' | 'warm_up'

/** An `onEvent` handler. Exceptions it throws are swallowed: observing must not break verifying. */
export type EventHandler = (event: VerifierEvent) => void

/** Wraps a user handler so that it can never throw into the verification path. */
export function safeEmitter(handler: EventHandler | undefined): EventHandler | undefined {
  if (handler === undefined) return undefined
  return (event) => callSafely(handler, event)
}

/**
 * Calls an observer, swallowing what it throws and what the promise it may
 * return rejects with: an `async` handler type-checks where a void one is
 * asked for, and its rejection, left unhandled, would end the process.
 *
 * @example
 * callSafely(onEvent, { type: 'keys_stale', issuer, lastError }) // never throws, never leaves a rejection
 */
export function callSafely<T>(observer: (event: T) => unknown, event: T): void {
  try {
    const returned = observer(event) as { then?: unknown } | undefined
    if (typeof returned?.then === 'function') (returned as Promise<unknown>).then(undefined, ignore)
  } catch {
    // An observer's bug must not turn into a 500 or a rejected token.
  }
}

function ignore(): void {}
