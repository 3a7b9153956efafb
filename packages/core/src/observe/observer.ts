/**
 * Where the verifier's facts go: the `onEvent` handler, listeners attached
 * later through `@m2m-guard/core/observe`, and `node:diagnostics_channel`.
 * Nothing is built or sent while nobody listens; a listener's exception
 * never reaches the request.
 */
import type { AuthErrorReason } from '../errors.js'
import { callSafely, type EventHandler, type VerifierEvent } from '../events.js'
import { type PublishChannel, publishChannel } from './diagnostics.js'

/**
 * One call of `verify`, `authenticate`, `authenticateRequest` or `authorize`,
 * once it settled. `issuer` is the configured issuer profile's id (never a
 * value read from an unverified token); `clientId` is set only for a token
 * that verified.
 *
 * @example
 * { type: 'verification', outcome: 'rejected', issuer: 'https://auth.example.com',
 *   clientId: undefined, reason: 'token_expired', status: 401, durationMs: 0.08 }
 */
export interface VerificationEvent {
  type: 'verification'
  outcome: 'accepted' | 'rejected'
  issuer: string | undefined
  clientId: string | undefined
  reason: AuthErrorReason | undefined
  /** The HTTP status an adapter answers: 200 when accepted. */
  status: number
  durationMs: number
}

/** Everything an observer of a verifier receives. */
export type ObservedEvent = VerifierEvent | VerificationEvent

/**
 * The diagnostics channel names. Each message is `{ verifier, event }`: the
 * emitting {@link Verifier} (to tell several apart) and the event. No message
 * carries a token, a signature or key material.
 *
 * @example
 * import diagnostics from 'node:diagnostics_channel'
 * diagnostics.subscribe('m2m-guard:verification', ({ event }) => console.log(event.outcome, event.reason))
 */
export const CHANNELS = Object.freeze({
  /** One {@link VerificationEvent} per verification call. */
  verification: 'm2m-guard:verification',
  /** `token_cache_hit`, `token_cache_miss`. */
  tokenCache: 'm2m-guard:token-cache',
  /** `keys_fetched`, `keys_fetch_failed`. */
  jwksFetch: 'm2m-guard:jwks:fetch',
  /** `keys_stale`: cached keys served past freshness because the issuer cannot be reached. */
  jwksStale: 'm2m-guard:jwks:stale',
  /** `metadata_fetched`. */
  metadataFetch: 'm2m-guard:metadata:fetch',
  /** Every other event: `token_verified`, `token_rejected`, `key_skipped`, … */
  verifier: 'm2m-guard:verifier',
})

const channels = {
  verification: publishChannel(CHANNELS.verification),
  tokenCache: publishChannel(CHANNELS.tokenCache),
  jwksFetch: publishChannel(CHANNELS.jwksFetch),
  jwksStale: publishChannel(CHANNELS.jwksStale),
  metadataFetch: publishChannel(CHANNELS.metadataFetch),
  verifier: publishChannel(CHANNELS.verifier),
}

function channelOf(type: ObservedEvent['type']): PublishChannel {
  switch (type) {
    case 'verification':
      return channels.verification
    case 'token_cache_hit':
    case 'token_cache_miss':
      return channels.tokenCache
    case 'keys_fetched':
    case 'keys_fetch_failed':
      return channels.jwksFetch
    case 'keys_stale':
      return channels.jwksStale
    case 'metadata_fetched':
      return channels.metadataFetch
    default:
      return channels.verifier
  }
}

/** Receives every {@link ObservedEvent} of one verifier. */
export type ObservedEventListener = (event: ObservedEvent) => void

/** One verifier's outlet for its events. */
export class Observer {
  readonly #onEvent: EventHandler | undefined
  readonly #listeners = new Set<ObservedEventListener>()
  #verifier: object | undefined
  /** What rejected a request, by the AuthError that left the verifier: read once it settles. */
  readonly #rejections = new WeakMap<object, { issuer: string | undefined; clientId: string | undefined }>()

  constructor(onEvent: EventHandler | undefined) {
    this.#onEvent = onEvent
  }

  /** The verifier whose events these are, named in every channel message. */
  bind(verifier: object): void {
    this.#verifier = verifier
  }

  /** True if someone would receive events sent on `channel` (default: any verifier event). */
  watching(channel: keyof typeof channels = 'verifier'): boolean {
    return this.#onEvent !== undefined || this.#listeners.size > 0 || channels[channel].hasSubscribers
  }

  /** True if someone would receive {@link VerificationEvent}s (`onEvent` does not). */
  watchingVerifications(): boolean {
    return this.#listeners.size > 0 || channels.verification.hasSubscribers
  }

  /** Sends `event` to everyone listening. Safe to call unguarded: rare events need no check. */
  readonly emit = (event: ObservedEvent): void => {
    if (event.type !== 'verification' && this.#onEvent !== undefined) this.#onEvent(event)
    for (const listener of this.#listeners) callSafely(listener, event)
    const channel = channelOf(event.type)
    if (channel.hasSubscribers) {
      try {
        channel.publish({ verifier: this.#verifier, event })
      } catch {
        // diagnostics_channel rethrows a subscriber's error asynchronously in Node; elsewhere, the same rule.
      }
    }
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: ObservedEventListener): () => void {
    const own = (event: ObservedEvent) => listener(event)
    this.#listeners.add(own)
    return () => {
      this.#listeners.delete(own)
    }
  }

  /** Remembers which profile and client a rejection concerned (`rejected` knows; the caller does not). */
  noteRejection(error: object, issuer: string | undefined, clientId: string | undefined): void {
    this.#rejections.set(error, { issuer, clientId })
  }

  rejectionOf(error: unknown): { issuer: string | undefined; clientId: string | undefined } | undefined {
    return typeof error === 'object' && error !== null ? this.#rejections.get(error) : undefined
  }
}

const observers = new WeakMap<object, Observer>()

/** Registers `verifier`'s observer, for {@link observeVerifier}. */
export function registerObserver(verifier: object, observer: Observer): void {
  observer.bind(verifier)
  observers.set(verifier, observer)
}

/**
 * Calls `listener` with every event of `verifier` from now on, including
 * one {@link VerificationEvent} per verification call, whatever its
 * `onEvent` option. Returns the function that stops it. What
 * `@m2m-guard/otel` uses to instrument a verifier created elsewhere.
 *
 * @example
 * import { observeVerifier } from '@m2m-guard/core/observe'
 * const stop = observeVerifier(verifier, (event) => {
 *   if (event.type === 'verification') console.log(event.outcome, event.reason, event.durationMs)
 * })
 * stop()
 */
export function observeVerifier(verifier: object, listener: ObservedEventListener): () => void {
  if (typeof listener !== 'function') throw new TypeError('observeVerifier: "listener" must be a function')
  const observer = typeof verifier === 'object' && verifier !== null ? observers.get(verifier) : undefined
  if (observer === undefined) {
    throw new TypeError('observeVerifier: "verifier" must be a verifier made by createVerifier')
  }
  return observer.listen(listener)
}
