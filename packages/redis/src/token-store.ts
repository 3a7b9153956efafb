import { randomUUID } from 'node:crypto'
import { connect, type RedisClient, type SendCommand } from './connection.js'
import { RedisStoreError } from './errors.js'
import { keyFor, millisecondsUntil, type RedisStoreOptions, resolveStoreOptions } from './options.js'
import type { StoredToken, TokenLock, TokenStore } from './types.js'

// Deletes the lock only while it still holds this owner's value: a holder whose lock expired and was
// taken by another instance must not release the other's lock.
const RELEASE_SCRIPT =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
// A stored token is a few kilobytes at most; anything larger was not written by this store.
const MAX_STORED_LENGTH = 64 * 1024
const MAX_LOCK_TTL = 10 * 60 * 1000

/**
 * A token store shared by every instance of a caller, for `@m2m-guard/client`'s `store` option: the
 * fleet shares one token and one renewal per lifetime instead of one per instance.
 *
 * - A token is stored with `PX` = the time left until its `expiresAt`, so Redis deletes it when it
 *   expires; `get` also refuses one whose `expiresAt` has passed on this instance's clock.
 * - `lock` is `SET NX PX` with a random owner value; `release` deletes the lock only if it still holds
 *   that value (a compare-and-delete script), so an expired holder cannot free another's lock. A
 *   `lock` that times out sends that release right after its SET, so a SET that Redis runs late leaves
 *   no lock behind that nobody holds.
 * - Keys are SHA-256 hashes of the client's key inside `prefix`, so configurations never collide.
 * - Every operation waits at most `timeout` ms and rejects with a {@link RedisStoreError} when Redis is
 *   unreachable; the client then falls back to its own token.
 *
 * Tokens are bearer credentials: keep this Redis as private as the client secret.
 *
 * @param client a connected node-redis client (`redis` 5+) or an ioredis client.
 * @example
 * ```ts
 * import { createTokenClient } from '@m2m-guard/client'
 * import { createRedisTokenStore } from '@m2m-guard/redis'
 * import { createClient } from 'redis'
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const client = createTokenClient({
 *   tokenEndpoint: 'https://auth.example.com/oauth/token',
 *   clientId: 'billing',
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   store: createRedisTokenStore(redis, { prefix: 'billing:' }),
 * })
 * ```
 */
export function createRedisTokenStore(client: RedisClient, options?: RedisStoreOptions): TokenStore {
  const { prefix, timeout, clock } = resolveStoreOptions(options)
  const send = connect(client, timeout, 'client')
  return {
    async get(key) {
      checkKey(key)
      const reply = await send(['GET', keyFor(prefix, 'token', key)])
      if (reply === null) return undefined
      if (typeof reply !== 'string')
        throw new RedisStoreError('redis answered GET with a non-string', 'unexpected_reply')
      const token = parseStoredToken(reply)
      return token !== undefined && token.expiresAt > clock() ? token : undefined
    },
    async set(key, token) {
      checkKey(key)
      const stored = storedForm(token)
      const ttl = millisecondsUntil(stored.expiresAt, clock())
      // An expired token is not worth storing; the one already there (if any) expires on its own.
      if (ttl === 0) return
      const reply = await send([
        'SET',
        keyFor(prefix, 'token', key),
        JSON.stringify(stored),
        'PX',
        String(ttl),
      ])
      if (reply !== 'OK')
        throw new RedisStoreError('redis answered SET with something other than OK', 'unexpected_reply')
    },
    async lock(key, ttlMs) {
      checkKey(key)
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_LOCK_TTL) {
        throw new TypeError(`ttlMs must be a positive integer of at most ${MAX_LOCK_TTL} milliseconds`)
      }
      const lockKey = keyFor(prefix, 'token-lock', key)
      const owner = randomUUID()
      const reply = await send(['SET', lockKey, owner, 'NX', 'PX', String(ttlMs)]).catch((error: unknown) => {
        // Given up on, the SET may still be executed, leaving a lock for ttlMs that nobody owns. The
        // release goes on the same connection, which Redis answers in order: it runs after that SET,
        // and deletes the lock only if this SET took it.
        if (error instanceof RedisStoreError && error.reason === 'timeout') {
          send(['EVAL', RELEASE_SCRIPT, '1', lockKey, owner]).catch(() => {})
        }
        throw error
      })
      if (reply === null) return undefined
      if (reply !== 'OK')
        throw new RedisStoreError(
          'redis answered SET NX with something other than OK or nil',
          'unexpected_reply',
        )
      return heldLock(send, lockKey, owner)
    },
  }
}

function heldLock(send: SendCommand, lockKey: string, owner: string): TokenLock {
  let released: Promise<void> | undefined
  return {
    release() {
      released ??= send(['EVAL', RELEASE_SCRIPT, '1', lockKey, owner]).then(() => undefined)
      return released
    },
  }
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('key must be a non-empty string')
}

/** Only the fields of {@link StoredToken}, checked, so whatever else the caller's object holds stays out of Redis. */
function storedForm(token: StoredToken): StoredToken {
  if (typeof token !== 'object' || token === null) throw new TypeError('token must be an object')
  const { accessToken, tokenType, expiresAt, scope } = token
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new TypeError('token.accessToken must be a non-empty string')
  }
  if (typeof tokenType !== 'string' || tokenType.length === 0) {
    throw new TypeError('token.tokenType must be a non-empty string')
  }
  if (!Number.isFinite(expiresAt)) throw new TypeError('token.expiresAt must be epoch milliseconds')
  if (scope !== undefined && typeof scope !== 'string') throw new TypeError('token.scope must be a string')
  return scope === undefined
    ? { accessToken, tokenType, expiresAt }
    : { accessToken, tokenType, expiresAt, scope }
}

/** A value read back from Redis, or undefined when it is not one this store wrote. */
function parseStoredToken(text: string): StoredToken | undefined {
  if (text.length > MAX_STORED_LENGTH) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  try {
    return storedForm(value as StoredToken)
  } catch {
    return undefined
  }
}
