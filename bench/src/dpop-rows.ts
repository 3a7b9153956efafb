/**
 * DPoP on the request path (issue 11): a DPoP-bound reused token with an
 * ES256 proof on every call, with the replay store stubbed (proof
 * verification alone), with the in-memory store (the default), and with
 * @m2m-guard/redis `createRedisReplayStore` on a real redis-server that the
 * in-process suite starts for these rows (`startReplayRedis`; the row's own
 * process connects to it). Each row is
 * judged against `ours` (the same reused token as plain Bearer) and one bare
 * ES256 signature check (goals-14.ts).
 */
import { createHash, randomUUID } from 'node:crypto'
import { createMemoryReplayStore, createVerifier, type ReplayStore } from '@m2m-guard/core'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { type Contender, requireClient, type Setup } from './contenders.js'
import { AUDIENCE, SCOPE, signToken } from './fixtures.js'
import { RedisUnavailableError, startRedisServer } from './redis-server.js'

/** Where the suite's redis-server listens, or why there is none (plain data: handed to each contender's process). */
export type ReplayRedis = { url: string } | { unavailable: string }

/** Starts the suite's redis-server; without redis-server installed, says so instead. */
export async function startReplayRedis(): Promise<{ redis: ReplayRedis; stop(): Promise<void> }> {
  try {
    const server = await startRedisServer()
    return { redis: { url: server.url }, stop: () => server.stop() }
  } catch (error) {
    if (error instanceof RedisUnavailableError)
      return { redis: { unavailable: error.message }, stop: async () => {} }
    throw error
  }
}

/**
 * Hands the store a new id per claim (the proof's `jti` and a counter), so
 * one proof can be verified over and over while the store does what a fresh
 * proof asks of it: remember one more id. Every `rotateEvery` claims it
 * starts on a new store from `create`, so that a long run never fills the
 * memory store's bound (100,000 live ids; in service, ids expire after
 * `proofMaxAge`).
 */
function freshIds(create: () => ReplayStore, rotateEvery = Number.POSITIVE_INFINITY): ReplayStore {
  let store = create()
  let claims = 0
  return {
    claim(id, expiresAt) {
      if (++claims % rotateEvery === 0) store = create()
      return store.claim(`${id}.${claims}`, expiresAt)
    },
  }
}

type StoreKind = 'stub' | 'memory' | 'redis'

const LABELS: Record<StoreKind, [id: string, label: string]> = {
  stub: ['ours-dpop', 'm2m-guard authenticateRequest() with a DPoP proof (ES256; replay store stubbed)'],
  memory: [
    'ours-dpop-memory',
    'm2m-guard authenticateRequest() with a DPoP proof (ES256; in-memory replay store, the default)',
  ],
  redis: [
    'ours-dpop-redis',
    'm2m-guard authenticateRequest() with a DPoP proof (ES256; @m2m-guard/redis replay store, node-redis, local redis-server)',
  ],
}

let redisPrefix = 0

async function replayStore(kind: StoreKind, setup: Setup): Promise<ReplayStore> {
  if (kind === 'stub') return { claim: () => true }
  if (kind === 'memory') return freshIds(() => createMemoryReplayStore(), 90_000)
  const redis = setup.redis
  if (redis === undefined || 'unavailable' in redis) throw new Error('no redis-server')
  // Loaded here, by the Redis row's process alone: node-redis 5 declares `class VerbatimString
  // extends String`, and on Node 20 a String subclass anywhere in a process slows V8's string
  // builtins (charCodeAt, slice) for all code in it. Imported at the top of this module, it made
  // the reused-token rows of every contender in request-path.ts run at 0.6-0.7x of plain m2m-guard's,
  // which is the same code in a process without it.
  const [{ createClient }, { createRedisReplayStore }] = await Promise.all([
    import('redis'),
    import('@m2m-guard/redis'),
  ])
  // One client per row's process, open until the process ends (the suite kills it).
  const client = await createClient({ url: redis.url }).connect()
  // A prefix per verifier: no row sees another's ids.
  const prefix = `bench-${setup.alg}-${process.pid}-${++redisPrefix}:`
  return freshIds(() => createRedisReplayStore(client, { prefix }))
}

/**
 * A DPoP-bound reused token with one proof: authenticateRequest verifies the
 * token from the cache and the ES256 proof (its signature, claims, `ath`,
 * `cnf.jkt`) each time, then asks the replay store.
 */
const dpop = (kind: StoreKind): Contender => ({
  id: LABELS[kind][0],
  label: LABELS[kind][1],
  kind: 'ours',
  notApplicable({ alg, workload, redis }) {
    if (workload.name !== 'same-token') return 'DPoP cost is measured on a reused token'
    // The proof is ES256 whatever the token's algorithm: one group is enough for the stores.
    if (kind !== 'stub' && alg !== 'ES256')
      return 'measured with the ES256 token (the proof is ES256 in every group)'
    if (kind === 'redis' && redis !== undefined && 'unavailable' in redis) return redis.unavailable
    if (kind === 'redis' && redis === undefined) return 'no redis-server started for this run'
    return undefined
  },
  async prepare(setup) {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const token = signToken(setup.key, setup.issuer, { cnf: { jkt: await calculateJwkThumbprint(jwk) } })
    const url = 'https://orders.example.com/orders'
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm: 'GET',
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(privateKey)
    const verifier = createVerifier({
      issuer: setup.issuer,
      audience: AUDIENCE,
      jwksUri: setup.jwksUri,
      dpop: { proofMaxAge: 3600, replayStore: await replayStore(kind, setup) },
    })
    await verifier.warmUp()
    const requirement = { scopes: [SCOPE] }
    const request = { method: 'GET', url, headers: { authorization: `DPoP ${token}`, dpop: proof } }
    return () => verifier.authenticateRequest(request, requirement)
  },
  validate: requireClient,
})

export const dpopContenders: Contender[] = [dpop('stub'), dpop('memory'), dpop('redis')]
