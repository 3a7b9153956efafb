import { connect, type RedisClient } from './connection.js'
import { RedisStoreError } from './errors.js'
import { keyFor, type RedisStoreOptions, resolveStoreOptions } from './options.js'
import type { ReplayStore } from './types.js'

/**
 * A DPoP replay store shared by every instance of an API: a proof's `jti` claimed on one instance is
 * refused on all of them. Each claim is one `SET key 1 NX PX <ms until expiresAt>`, so Redis forgets
 * the id when the proof could no longer be accepted anyway. Ids are hashed into the key, so a hostile
 * `jti` can neither reach another key nor make a large one.
 *
 * When Redis is down, slow or answers an error, `claim` rejects with a {@link RedisStoreError} and
 * core answers 503: a proof is never admitted without its replay check.
 *
 * @param client a connected node-redis client (`redis` 5+) or an ioredis client.
 * @example
 * ```ts
 * import { createVerifier } from '@m2m-guard/core'
 * import { createRedisReplayStore } from '@m2m-guard/redis'
 * import { createClient } from 'redis'
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://orders.example.com',
 *   dpop: { replayStore: createRedisReplayStore(redis, { prefix: 'orders-api:' }) },
 * })
 * ```
 */
export function createRedisReplayStore(client: RedisClient, options?: RedisStoreOptions): ReplayStore {
  const { prefix, timeout, clock } = resolveStoreOptions(options)
  const send = connect(client, timeout, 'client')
  return {
    async claim(id, expiresAt) {
      if (typeof id !== 'string' || id.length === 0) throw new TypeError('id must be a non-empty string')
      if (!Number.isFinite(expiresAt)) throw new TypeError('expiresAt must be epoch milliseconds')
      // Rounded up: the id must outlive expiresAt, even with clocks in fractions of a millisecond.
      // An id already past its expiry is still claimed (for a millisecond): Redis refuses PX 0.
      const ttl = Math.max(1, Math.ceil(expiresAt - clock()))
      const reply = await send(['SET', keyFor(prefix, 'dpop-jti', id), '1', 'NX', 'PX', String(ttl)])
      if (reply === 'OK') return true
      if (reply === null) return false
      throw new RedisStoreError(
        'redis answered SET NX with something other than OK or nil',
        'unexpected_reply',
      )
    },
  }
}
