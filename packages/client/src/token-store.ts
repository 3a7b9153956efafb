import { createHash } from 'node:crypto'

/**
 * A token as a {@link TokenStore} keeps it.
 *
 * @example
 * ```ts
 * const stored: StoredToken = { accessToken: 'eyJ…', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000 }
 * ```
 */
export interface StoredToken {
  accessToken: string
  /** `Bearer` or `DPoP`. */
  tokenType: string
  /** When the token expires, in epoch milliseconds. */
  expiresAt: number
  /** The scope the server granted, when it said. */
  scope?: string
}

/**
 * A held renewal lock.
 *
 * @example
 * ```ts
 * const lock = await store.lock(key, 30_000)
 * if (lock) try { … } finally { await lock.release() }
 * ```
 */
export interface TokenLock {
  /** Gives the lock up (if this holder still has it). */
  release(): Promise<void>
}

/**
 * Where a fleet of instances of one caller share their token, so that together they ask the token
 * endpoint once per token lifetime instead of once per instance. `@m2m-guard/redis`
 * `createRedisTokenStore` implements it on Redis; any shared store with an atomic "set if absent,
 * with expiry" can.
 *
 * The client builds `key` from the token endpoint (or issuer), the client id, the token request
 * (scope, audience, resource) and the binding (DPoP key, client certificate), so two configurations
 * never share a token; the store adds its own prefix.
 *
 * @example
 * ```ts
 * // A store for one process (tests, or several clients in one process):
 * const tokens = new Map<string, StoredToken>()
 * const locks = new Set<string>()
 * const store: TokenStore = {
 *   get: async (key) => tokens.get(key),
 *   set: async (key, token) => void tokens.set(key, token),
 *   lock: async (key) => {
 *     if (locks.has(key)) return undefined
 *     locks.add(key)
 *     return { release: async () => void locks.delete(key) }
 *   },
 * }
 * ```
 */
export interface TokenStore {
  /** The token stored under `key`, or undefined when there is none (or it has expired). */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores the token under `key`, kept until `token.expiresAt`, then gone. */
  set(key: string, token: StoredToken): Promise<void>
  /** Takes the renewal lock of `key` for `ttlMs`; undefined when someone else holds it. */
  lock(key: string, ttlMs: number): Promise<TokenLock | undefined>
}

/**
 * Tuning of the `store` option. Durations in milliseconds.
 *
 * @example
 * ```ts
 * createTokenClient({ ...options, store, storeOptions: { timeout: 250, maxWait: 5_000 } })
 * ```
 */
export interface TokenStoreOptions {
  /** Longest wait for one store operation; a slower store counts as unreachable. Default 1 000. */
  timeout?: number
  /** How long the renewal lock is held at most (a crashed holder blocks no longer). Default 30 000. */
  lockTtl?: number
  /** Longest wait for another instance's renewal before fetching our own token. Default 10 000. */
  maxWait?: number
}

/**
 * What the shared key is made of.
 *
 * @example
 * ```ts
 * storeKey({ endpoint: 'https://auth.example.com/token', clientId: 'billing', params: [['scope', 'a b']], binding: '' })
 * ```
 */
export interface StoreKeyParts {
  /** The token endpoint, or the issuer when it is discovered. */
  endpoint: string
  clientId: string
  /** The token request's scope, audience and resource parameters. */
  params: ReadonlyArray<readonly [string, string]>
  /** What the token is bound to: the DPoP key's thumbprint, the certificate's, or ''. */
  binding: string
}

/**
 * The key of a configuration's token in a {@link TokenStore}: `m2m-guard:token:v1:` and a SHA-256 of
 * every part, so that nothing about the client (scopes, audience) is readable in the store, and two
 * configurations that differ in anything never share a token. Scope order does not matter.
 *
 * @example
 * ```ts
 * storeKey(parts) // 'm2m-guard:token:v1:3q2-7w…'
 * ```
 */
export function storeKey(parts: StoreKeyParts): string {
  const params = parts.params
    .map(([name, value]) => [name, name === 'scope' ? value.split(' ').sort().join(' ') : value])
    .sort(([a, x], [b, y]) =>
      a === b ? String(x).localeCompare(String(y)) : String(a).localeCompare(String(b)),
    )
  const digest = createHash('sha256')
    .update(JSON.stringify([parts.endpoint, parts.clientId, params, parts.binding]))
    .digest('base64url')
  return `m2m-guard:token:v1:${digest}`
}
