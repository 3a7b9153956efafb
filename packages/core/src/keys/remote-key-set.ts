/**
 * The issuer's key set, fetched over the network and kept under a policy that
 * protects both sides: the API keeps working when the issuer blips, and the
 * issuer is not flooded when the API is attacked.
 *
 * - Lazy: nothing is fetched before the first token (or `warmUp()`).
 * - One fetch at a time, however many requests wait on it.
 * - Fresh for the response's `Cache-Control: max-age` (bounded) or `maxAge`;
 *   past that, keys keep serving while one background refresh runs.
 * - An unknown `kid` refetches at most once per `cooldown`; so does a failure.
 * - If the issuer is unreachable, cached keys serve for `staleIfError` more;
 *   with nothing usable cached, requests get a 503 with `Retry-After`.
 * - The fetch in flight is `backgroundWork()`, for runtimes that cancel what a
 *   request leaves running (Workers' `ctx.waitUntil`).
 */
import { KeysUnavailableError } from '../errors.js'
import type { EventHandler, KeyFetchTrigger } from '../events.js'
import type { JwksCacheOptions } from '../options.js'
import { discoverJwksUri } from './discovery.js'
import { type FetchPolicy, fetchJson } from './fetch-json.js'
import type { KeySetStatus, KeySource } from './key-source.js'
import {
  type KeyStore,
  type KeyStoreContext,
  keyStoreContext,
  restoreKeySet,
  type StoredKeySet,
  saveKeySet,
} from './key-store.js'
import { parseJwks } from './parse-jwks.js'
import { KeyMatcher, type VerificationKey } from './verification-key.js'

// An issuer's max-age above a day is ignored: keys must be rechecked at least daily.
const MAX_AGE_CEILING = 86_400_000

/** What one remote key set needs: its issuer profile's part, and the verifier's shared settings. */
export interface RemoteKeySetOptions {
  /** The issuer profile's id, for events. */
  readonly issuer: string
  /** The issuer to discover keys from, when `jwksUri` is not given. */
  readonly discoveryIssuer: string | undefined
  readonly jwksUri: URL | undefined
  readonly algorithms: readonly string[]
  readonly jwksCache: Required<JwksCacheOptions>
  readonly fetch: typeof globalThis.fetch
  readonly allowInsecureHttp: boolean
  readonly clock: () => number
  /** Where key sets outlive the process (`keyStore` option), if anywhere. */
  readonly keyStore?: KeyStore | undefined
}

export class RemoteKeySet implements KeySource {
  readonly #options: RemoteKeySetOptions
  readonly #emit: EventHandler | undefined
  readonly #policy: FetchPolicy
  readonly #algorithms: ReadonlySet<string>
  #jwksUri: URL | undefined
  #keys: VerificationKey[] = []
  readonly #matcher = new KeyMatcher()
  #fetchedAt = Number.NEGATIVE_INFINITY
  #freshUntil = Number.NEGATIVE_INFINITY
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastError: string | undefined
  #inflight: Promise<void> | undefined
  #inflightSince = Number.NEGATIVE_INFINITY
  #store: KeyStoreContext | undefined

  constructor(options: RemoteKeySetOptions, emit: EventHandler | undefined) {
    this.#options = options
    this.#emit = emit
    this.#jwksUri = options.jwksUri
    this.#algorithms = new Set(options.algorithms)
    this.#policy = {
      fetch: options.fetch,
      timeout: options.jwksCache.timeout,
      maxResponseBytes: options.jwksCache.maxResponseBytes,
      allowInsecureHttp: options.allowInsecureHttp,
    }
    this.#store = keyStoreContext(options, emit)
  }

  candidatesNow(kid: string | undefined, alg: string, now: number): readonly VerificationKey[] | undefined {
    if (now >= this.#freshUntil) return undefined
    const found = this.#matcher.match(this.#keys, kid, alg)
    return found.length > 0 ? found : undefined
  }

  async candidates(kid: string | undefined, alg: string): Promise<readonly VerificationKey[]> {
    // Fresh keys, the common case, need no wait: #ensureUsable would return at once,
    // and awaiting it costs two turns of the microtask queue on every new token.
    if (this.#options.clock() >= this.#freshUntil) await this.#ensureUsable()
    const found = this.#matcher.match(this.#keys, kid, alg)
    if (found.length > 0 || kid === undefined || this.#keys.some((key) => key.kid === kid)) return found
    // A kid we have never seen: perhaps the issuer rotated. Ask again, but at
    // most once per cooldown, so forged kids cannot turn into a flood of fetches.
    // A fetch already under way (the expiry refresh this very request may have
    // started) is joined: it may bring the new key, and costs nothing more.
    if (this.#inflight === undefined && !this.#mayAttempt()) return found
    await this.#refreshOrUnavailable('unknown_kid')
    return this.#matcher.match(this.#keys, kid, alg)
  }

  async warmUp(): Promise<void> {
    await this.#refreshOrUnavailable('warm_up')
  }

  revalidate(now: number): void {
    // Without this, a service that only sees reused tokens would never refetch,
    // and a key the issuer removed would keep vouching for cached tokens until
    // their exp. Failures are reported by the fetch's own events.
    if (now >= this.#freshUntil) this.#ensureUsable().catch(() => {})
  }

  backgroundWork(): Promise<void> | undefined {
    if (this.#inflight === undefined || this.#dropped(this.#options.clock())) return undefined
    return this.#inflight
  }

  status(): KeySetStatus {
    const now = this.#options.clock()
    const known = this.#fetchedAt > Number.NEGATIVE_INFINITY
    return {
      ready: this.#keys.length > 0 && now < this.#staleUntil(),
      fresh: this.#keys.length > 0 && now < this.#freshUntil,
      keyCount: this.#keys.length,
      fetchedAt: known ? this.#fetchedAt : undefined,
      freshUntil: known ? this.#freshUntil : undefined,
      lastError: this.#lastError,
      jwksUri: this.#jwksUri?.href,
    }
  }

  async #ensureUsable(): Promise<void> {
    const now = this.#options.clock()
    if (now < this.#freshUntil) return
    if (this.#keys.length > 0 && now < this.#staleUntil()) {
      // Stale but usable: serve now, refresh in the background.
      if (this.#mayAttempt()) this.#refresh('expired').catch(() => this.#reportStale())
      return
    }
    // Nothing usable: drop what is left (tokens it verified stop passing) and fetch.
    this.#replaceKeys([])
    if (this.#inflight === undefined && !this.#mayAttempt()) throw this.#unavailable()
    await this.#refreshOrUnavailable(this.#fetchedAt === Number.NEGATIVE_INFINITY ? 'initial' : 'expired')
  }

  #staleUntil(): number {
    return this.#freshUntil + this.#options.jwksCache.staleIfError
  }

  /** The fetch in flight is pending well past its own timeout: it will never settle. */
  #dropped(now: number): boolean {
    return now - this.#inflightSince > 2 * this.#options.jwksCache.timeout
  }

  #mayAttempt(): boolean {
    return this.#options.clock() - this.#lastAttempt >= this.#options.jwksCache.cooldown
  }

  async #refreshOrUnavailable(trigger: KeyFetchTrigger): Promise<void> {
    try {
      await this.#refresh(trigger)
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  #refresh(trigger: KeyFetchTrigger): Promise<void> {
    // A fetch still pending well past its own timeout will never settle: the
    // runtime dropped it. workerd cancels what a request leaves running once its
    // response is sent, so a background refresh can vanish. Joining it would
    // wedge the key set for good; start a new one instead. (Adapters hand
    // backgroundWork() to the Worker's ctx.waitUntil, so that it is not dropped.)
    const now = this.#options.clock()
    if (this.#inflight !== undefined && this.#dropped(now)) this.#inflight = undefined
    if (this.#inflight !== undefined) return this.#inflight
    this.#inflightSince = now
    const flight = this.#fetchKeys(trigger).finally(() => {
      if (this.#inflight === flight) this.#inflight = undefined
    })
    this.#inflight = flight
    return flight
  }

  async #fetchKeys(trigger: KeyFetchTrigger): Promise<void> {
    // A cold start: the key set another invocation stored, before asking the issuer.
    if (trigger === 'initial' && (await this.#restore())) {
      if (this.#options.clock() < this.#freshUntil) return
      // Stale: ask the issuer now; if it cannot answer, the restored keys serve (stale-if-error).
      return this.#fetchFromIssuer('expired').catch(() => this.#reportStale())
    }
    return this.#fetchFromIssuer(trigger)
  }

  /** Adopts the `keyStore`'s key set, if there is one and it is usable; true if it was. */
  async #restore(): Promise<boolean> {
    if (this.#store === undefined || this.#fetchedAt > Number.NEGATIVE_INFINITY) return false
    const now = this.#options.clock()
    const { jwksCache } = this.#options
    const restored = await restoreKeySet(this.#store, now, jwksCache.staleIfError)
    if (restored === undefined) return false
    // Fresh no longer than a set fetched without Cache-Control would be: the store's word
    // (another build, another configuration, or a tampered entry) does not extend it.
    const freshFor = Math.max(jwksCache.maxAge, jwksCache.cooldown)
    const freshUntil = Math.min(restored.freshUntil, restored.fetchedAt + freshFor)
    try {
      if (!this.#adopt(restored.jwks, restored.fetchedAt, freshUntil)) throw new Error('no usable key')
    } catch (error) {
      this.#store.report('get', `stored key set: ${(error as Error)?.message ?? String(error)}`)
      return false
    }
    // Its URL is not adopted: a configured jwksUri is the one it was checked against, and a
    // discovered one is discovered again at the next refresh, so an entry from before the
    // issuer moved its jwks_uri (or a tampered one) cannot pin every later fetch.
    const { issuer } = this.#options
    const { href: uri } = restored.jwksUri
    const keyCount = this.#keys.length
    this.#emit?.({ type: 'keys_restored', issuer, uri, ageMs: now - restored.fetchedAt, keyCount })
    return true
  }

  async #fetchFromIssuer(trigger: KeyFetchTrigger): Promise<void> {
    const { clock, jwksCache } = this.#options
    const started = clock()
    this.#lastAttempt = started
    let uri: URL | undefined = this.#jwksUri
    try {
      uri ??= await this.#discover()
      const { body, maxAge } = await fetchJson(uri, this.#policy)
      const now = clock()
      const freshFor = Math.min(Math.max(maxAge ?? jwksCache.maxAge, jwksCache.cooldown), MAX_AGE_CEILING)
      if (!this.#adopt(body, now, now + freshFor)) throw new Error('key set has no usable signing key')
      this.#lastError = undefined
      this.#emit?.({
        type: 'keys_fetched',
        issuer: this.#options.issuer,
        uri: uri.href,
        durationMs: now - started,
        keyCount: this.#keys.length,
        trigger,
      })
      // Awaited: a Worker drops what a request leaves running once its response is sent.
      const { href: jwksUri } = uri
      const jwks = body as StoredKeySet['jwks']
      if (this.#store)
        await saveKeySet(this.#store, { jwks, jwksUri, fetchedAt: now, freshUntil: this.#freshUntil })
    } catch (error) {
      this.#lastError = (error as Error).message
      this.#emit?.({
        type: 'keys_fetch_failed',
        issuer: this.#options.issuer,
        uri: uri?.href,
        durationMs: clock() - started,
        trigger,
        error: this.#lastError,
      })
      throw error
    }
  }

  /**
   * Validates a key set (fetched, or restored from the store) and makes it
   * current; false if it has no usable key. Throws what parseJwks throws.
   */
  #adopt(jwks: unknown, fetchedAt: number, freshUntil: number): boolean {
    const parsed = parseJwks(jwks, { algorithms: this.#algorithms, maxKeys: this.#options.jwksCache.maxKeys })
    for (const { kid, why } of parsed.skipped) {
      this.#emit?.({ type: 'key_skipped', issuer: this.#options.issuer, kid, why })
    }
    if (parsed.keys.length === 0) return false
    this.#replaceKeys(parsed.keys)
    this.#fetchedAt = fetchedAt
    this.#freshUntil = Math.min(freshUntil, fetchedAt + MAX_AGE_CEILING)
    const usableUntil = this.#staleUntil()
    for (const key of this.#keys) key.usableUntil = usableUntil
    return true
  }

  async #discover(): Promise<URL> {
    const started = this.#options.clock()
    const issuer = this.#options.discoveryIssuer
    if (issuer === undefined) throw new Error('no "jwksUri" and no issuer to discover it from')
    const { jwksUri, metadataUrl } = await discoverJwksUri(issuer, this.#policy)
    this.#jwksUri = jwksUri
    this.#emit?.({
      type: 'metadata_fetched',
      issuer: this.#options.issuer,
      uri: metadataUrl.href,
      jwksUri: jwksUri.href,
      durationMs: this.#options.clock() - started,
    })
    return jwksUri
  }

  /** Swaps in a new key set; keys that left it are ended, so cached tokens they verified stop passing. */
  #replaceKeys(next: VerificationKey[]): void {
    const previous = new Map(this.#keys.map((key) => [key.fingerprint, key]))
    // Keep the same objects for unchanged keys, so verified-token cache entries survive a refetch.
    this.#keys = next.map((key) => previous.get(key.fingerprint) ?? key)
    const kept = new Set(this.#keys)
    for (const key of previous.values()) if (!kept.has(key)) key.usableUntil = Number.NEGATIVE_INFINITY
  }

  #reportStale(): void {
    this.#emit?.({
      type: 'keys_stale',
      issuer: this.#options.issuer,
      ageMs: this.#options.clock() - this.#fetchedAt,
      lastError: this.#lastError,
    })
  }

  #unavailable(cause?: unknown): KeysUnavailableError {
    const wait = this.#options.jwksCache.cooldown - (this.#options.clock() - this.#lastAttempt)
    return new KeysUnavailableError({
      description: 'signing keys are temporarily unavailable',
      message: `signing keys are unavailable: ${this.#lastError ?? 'no usable key'}`,
      retryAfter: Math.max(1, Math.ceil(wait / 1000)),
      cause,
    })
  }
}
