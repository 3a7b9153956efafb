/**
 * The stores' contracts, written out here so this package needs neither @m2m-guard/core nor
 * @m2m-guard/client at run time. They are the same shapes as core's `ReplayStore` and the client's
 * `TokenStore` (test/types.test-d.ts holds the token store to the client's type), so a store from this package can be passed
 * straight to `createVerifier({ dpop: { replayStore } })` and `createTokenClient({ store })`.
 */

/**
 * Remembers DPoP proof ids (`jti`) until the proof expires, so each proof is accepted once.
 *
 * @example
 * ```ts
 * const first: boolean = await replayStore.claim(id, Date.now() + 300_000) // false for a replay
 * ```
 */
export interface ReplayStore {
  /**
   * True the first time `id` is claimed before `expiresAt` (epoch milliseconds), false afterwards.
   * Rejects when the store cannot answer; core then refuses the request with 503 (fail closed).
   */
  claim(id: string, expiresAt: number): Promise<boolean>
}

/**
 * An access token as the token client keeps it.
 *
 * @example
 * ```ts
 * const token: StoredToken = { accessToken: 'eyJ…', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000 }
 * ```
 */
export interface StoredToken {
  accessToken: string
  tokenType: string
  /** Epoch milliseconds. */
  expiresAt: number
  scope?: string
}

/**
 * A held renewal lock.
 *
 * @example
 * ```ts
 * const lock = await store.lock(key, 10_000)
 * if (lock) try { … } finally { await lock.release() }
 * ```
 */
export interface TokenLock {
  /** Gives the lock up, if this holder still has it; a lock that expired and was taken is left alone. */
  release(): Promise<void>
}

/**
 * Where a fleet of token clients keeps the token they share, and the lock that lets one of them renew it.
 *
 * @example
 * ```ts
 * const client = createTokenClient({ tokenEndpoint, clientId, clientSecret, store: tokenStore })
 * ```
 */
export interface TokenStore {
  /** The stored token for `key`, or undefined when there is none (or it has expired). */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores the token until its `expiresAt`; Redis deletes it then. */
  set(key: string, token: StoredToken): Promise<void>
  /** Takes the renewal lock for `key` for `ttlMs`, or resolves undefined when someone else holds it. */
  lock(key: string, ttlMs: number): Promise<TokenLock | undefined>
}
