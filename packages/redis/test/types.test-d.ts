import type { TokenStore as ClientTokenStore, TokenClientOptions } from '@m2m-guard/client'
import {
  createRedisReplayStore,
  createRedisTokenStore,
  type RedisStoreError,
  type RedisStoreFailure,
  type ReplayStore,
  type StoredToken,
  type TokenLock,
  type TokenStore,
} from '@m2m-guard/redis'
import type { Cluster, Redis } from 'ioredis'
import type { createClient, createCluster } from 'redis'
import type { createClient as createClient6 } from 'redis6'
import { describe, expectTypeOf, it } from 'vitest'

declare const nodeRedis5: ReturnType<typeof createClient>
declare const nodeRedis6: ReturnType<typeof createClient6>
declare const nodeRedisCluster: ReturnType<typeof createCluster>
declare const ioredis: Redis
declare const ioredisCluster: Cluster

describe('public types', () => {
  it('accepts the clients of node-redis 5 and 6 and of ioredis', () => {
    expectTypeOf(createRedisReplayStore(nodeRedis5)).toEqualTypeOf<ReplayStore>()
    expectTypeOf(createRedisReplayStore(nodeRedis6, { prefix: 'api:' })).toEqualTypeOf<ReplayStore>()
    expectTypeOf(createRedisReplayStore(ioredis, { timeout: 500 })).toEqualTypeOf<ReplayStore>()
    expectTypeOf(createRedisTokenStore(nodeRedis5)).toEqualTypeOf<TokenStore>()
    expectTypeOf(createRedisTokenStore(ioredis, { clock: Date.now })).toEqualTypeOf<TokenStore>()
    expectTypeOf(createRedisTokenStore(ioredisCluster)).toEqualTypeOf<TokenStore>()
  })

  it('refuses what it cannot drive', () => {
    // @ts-expect-error node-redis clusters route by key and are not supported
    createRedisReplayStore(nodeRedisCluster)
    // @ts-expect-error a URL is not a client
    createRedisTokenStore('redis://127.0.0.1:6379')
    // @ts-expect-error unknown option
    createRedisTokenStore(ioredis, { keyPrefix: 'x' })
  })

  it('has the contracts of core and the client', () => {
    expectTypeOf<ReplayStore['claim']>().toEqualTypeOf<(id: string, expiresAt: number) => Promise<boolean>>()
    expectTypeOf<TokenStore['get']>().returns.toEqualTypeOf<Promise<StoredToken | undefined>>()
    expectTypeOf<TokenStore['lock']>().returns.toEqualTypeOf<Promise<TokenLock | undefined>>()
    expectTypeOf<RedisStoreError['reason']>().toEqualTypeOf<RedisStoreFailure>()
  })

  it("fits the token client's store option", () => {
    const store: ClientTokenStore = createRedisTokenStore(nodeRedis5)
    expectTypeOf(createRedisTokenStore(ioredis)).toExtend<NonNullable<TokenClientOptions['store']>>()
    void store
  })
})
