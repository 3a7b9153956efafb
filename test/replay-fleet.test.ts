/**
 * DPoP replay protection across a fleet: two instances of one API behind one public URL share a real
 * redis-server through `createRedisReplayStore`, on every adapter and major. A proof accepted by
 * instance A is refused by instance B; with Redis stopped every DPoP request fails closed (503);
 * a flood of forged proofs reaches no store (Redis keeps its key count, a small memory store keeps
 * its room for real proofs).
 *
 * Both instances trust the proxy, so `X-Forwarded-Proto`/`-Host` give them the URL the client
 * addressed, as behind a load balancer; the proof's `htu` names that one URL.
 */
import { createMemoryReplayStore, createVerifier, type ReplayStore, type Verifier } from '@m2m-guard/core'
import { createRedisReplayStore } from '@m2m-guard/redis'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { createClient } from 'redis'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DPOP_ALGS } from './scenarios.js'
import { createDpopKey, type DpopKey } from './support/proofs.js'
import { type RedisServer, startRedisServer } from './support/redis-server.js'
import { type Service, TARGETS } from './support/services.js'

const now = Date.now()
const nowSeconds = Math.floor(now / 1000)
const AUDIENCE = 'https://orders.example'
const PUBLIC_URL = 'https://api.example.com/dpop'
const BEHIND_PROXY = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
const FLOOD = 60

let issuer: AuthServer
let key: DpopKey
let thief: DpopKey

beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE, clock: () => now })
  key = await createDpopKey('ES256')
  thief = await createDpopKey('ES256')
})
afterAll(() => issuer.close())

function dpopVerifier(replayStore: ReplayStore): Verifier {
  const common = { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, clock: () => now }
  return createVerifier({ ...common, dpop: { replayStore } })
}

function start(target: (typeof TARGETS)[number], replayStore: ReplayStore): Promise<Service> {
  const verifier = dpopVerifier(replayStore)
  return target.start({ main: verifier, cold: verifier, bound: { '/dpop': verifier } }, { trustProxy: true })
}

/** A bound token and a fresh proof for it, made by `signer` (the client's key unless stolen). */
async function dpopHeaders(signer = key, claims: Record<string, unknown> = {}) {
  const token = await issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { jkt: key.jkt } })
  const proof = await signer.proof({ method: 'GET', url: PUBLIC_URL, token, iat: nowSeconds }, claims)
  return { ...BEHIND_PROXY, authorization: `DPoP ${token}`, dpop: proof }
}

async function call(service: Service, headers: Record<string, string>) {
  const response = await request(service.url).get('/dpop').set(headers)
  return {
    status: response.status,
    wwwAuthenticate: response.headers['www-authenticate'],
    retryAfter: response.headers['retry-after'],
    body: response.body,
  }
}

const refused = (error: string, description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer, DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS}"`,
  retryAfter: undefined,
  body: { error, error_description: description },
})
const passed = {
  status: 200,
  wwwAuthenticate: undefined,
  retryAfter: undefined,
  body: { clientId: 'billing', scopes: ['orders:read'] },
}

/** Forged proofs, each with a fresh jti: another key, a broken signature, another URL. */
async function forgedHeaders(index: number): Promise<[Record<string, string>, ReturnType<typeof refused>]> {
  const kind = index % 3
  if (kind === 0) {
    return [
      await dpopHeaders(thief),
      refused('invalid_token', 'DPoP proof key does not match the token binding'),
    ]
  }
  if (kind === 1) {
    const headers = await dpopHeaders()
    const [header, payload] = headers.dpop.split('.') as [string, string]
    const signature = Buffer.alloc(64, index).toString('base64url')
    return [
      { ...headers, dpop: `${header}.${payload}.${signature}` },
      refused('invalid_dpop_proof', "DPoP proof signature does not verify with its 'jwk'"),
    ]
  }
  return [
    await dpopHeaders(key, { htu: 'https://api.example.com/elsewhere' }),
    refused('invalid_dpop_proof', "DPoP proof 'htu' does not match the request URL"),
  ]
}

const adapters = TARGETS.filter((target) => ['express', 'koa', 'fastify'].includes(target.adapter))

describe.each(adapters)('$name: two instances sharing one redis-server', (target) => {
  let redis: RedisServer
  let client: ReturnType<typeof createClient>
  let a: Service
  let b: Service

  beforeAll(async () => {
    redis = await startRedisServer()
    client = createClient({ url: redis.url, socket: { reconnectStrategy: false } })
    // Once the server is stopped the client reports the lost connection here; the store sees isReady false.
    client.on('error', () => {})
    await client.connect()
    a = await start(target, createRedisReplayStore(client, { prefix: 'orders-api:' }))
    b = await start(target, createRedisReplayStore(client, { prefix: 'orders-api:' }))
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    if (client?.isOpen) client.destroy()
    await redis?.stop()
  })

  it('a proof accepted by instance A is refused by instance B with the DPoP challenge', async () => {
    const headers = await dpopHeaders()
    const ranOnB = b.calls.length
    expect(await call(a, headers)).toEqual(passed)
    expect(await call(b, headers)).toEqual(refused('invalid_dpop_proof', 'DPoP proof has been used before'))
    expect(await call(a, headers)).toEqual(refused('invalid_dpop_proof', 'DPoP proof has been used before'))
    expect(b.calls.length, 'the handler on B must not run').toBe(ranOnB)
    // A fresh proof for the same token still passes on B: the store refuses proofs, not tokens.
    expect(await call(b, await dpopHeaders())).toEqual(passed)
  })

  it('a flood of forged proofs adds no key to Redis', async () => {
    const keysBefore = await client.dbSize()
    expect(keysBefore, 'the accepted proofs above are in Redis').toBeGreaterThan(0)
    const ran = a.calls.length + b.calls.length
    for (let index = 0; index < FLOOD; index++) {
      const [headers, expected] = await forgedHeaders(index)
      expect(await call(index % 2 === 0 ? a : b, headers)).toEqual(expected)
    }
    expect(await client.dbSize()).toBe(keysBefore)
    expect(a.calls.length + b.calls.length, 'no handler ran').toBe(ran)
    expect(await call(a, await dpopHeaders())).toEqual(passed)
    expect(await client.dbSize()).toBe(keysBefore + 1)
  })

  it('with Redis stopped, DPoP requests fail closed with 503 on both instances', async () => {
    const ran = a.calls.length + b.calls.length
    await redis.stop()
    const unavailable = {
      status: 503,
      wwwAuthenticate: undefined,
      retryAfter: '1',
      body: {
        error: 'temporarily_unavailable',
        error_description: 'DPoP replay protection is unavailable; retry later',
      },
    }
    expect(await call(a, await dpopHeaders())).toEqual(unavailable)
    expect(await call(b, await dpopHeaders())).toEqual(unavailable)
    // The same proof on both: neither admits it, so a replay cannot slip through the outage.
    const headers = await dpopHeaders()
    expect(await call(a, headers)).toEqual(unavailable)
    expect(await call(b, headers)).toEqual(unavailable)
    expect(a.calls.length + b.calls.length, 'no handler ran').toBe(ran)
  })
})

describe.each(adapters)('$name: the memory store under a flood of forged proofs', (target) => {
  const ROOM = 3
  let service: Service
  beforeAll(async () => {
    service = await start(target, createMemoryReplayStore({ max: ROOM, clock: () => now }))
  })
  afterAll(() => service?.close())

  it('forged proofs take no room: after the flood the store still has room for exactly ROOM live proofs', async () => {
    for (let index = 0; index < FLOOD; index++) {
      const [headers, expected] = await forgedHeaders(index)
      expect(await call(service, headers)).toEqual(expected)
    }
    for (let index = 0; index < ROOM; index++) {
      expect(await call(service, await dpopHeaders())).toEqual(passed)
    }
    // Full of live proofs, it fails closed rather than forget one a replay could reuse.
    expect(await call(service, await dpopHeaders())).toMatchObject({ status: 503, retryAfter: '1' })
  })
})
