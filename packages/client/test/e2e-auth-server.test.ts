import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenClient, type TokenClientOptions, TokenRequestError } from '@m2m-guard/client'
import { AuthError, createVerifier, type Verifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import type { JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock, type FakeClock } from './helpers/clock.js'
import { createEventLog, type EventLog } from './helpers/events.js'

// End to end against the project's own local authorization server (@m2m-guard/testing), with
// tokens checked by the project's verifier (@m2m-guard/core). One fake clock drives all three.
const AUDIENCE = 'https://orders.example'
const assertionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })

let server: AuthServer
let clock: FakeClock
let log: EventLog
let verifier: Verifier

beforeEach(async () => {
  clock = createFakeClock(Date.now())
  log = createEventLog()
  server = await createAuthServer({
    issuerPath: '/tenant-a',
    algorithm: 'ES256', // quick to generate, for one server per test
    audience: AUDIENCE,
    tokenLifetime: 600,
    clock: clock.now,
    clients: [
      { clientId: 'billing', clientSecret: 'billing-secret', scopes: ['orders:read', 'orders:write'] },
      {
        clientId: 'reports',
        jwks: { keys: [{ ...(assertionKey.publicKey.export({ format: 'jwk' }) as JWK), kid: 'reports-1' }] },
        scopes: ['orders:read'],
      },
    ],
  })
  verifier = createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    clock: clock.now,
  })
})
afterEach(() => server.close())

function client(options: Partial<TokenClientOptions> = {}) {
  return createTokenClient({
    tokenEndpoint: server.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: clock.now,
    sleep: clock.sleep,
    onEvent: log.onEvent,
    ...options,
  } as TokenClientOptions)
}

describe('getting tokens from @m2m-guard/testing', () => {
  it.each([
    ['client_secret_basic', {}],
    ['client_secret_post', { authMethod: 'client_secret_post' }],
  ] as const)('%s end to end', async (_, options) => {
    const token = await client({ ...options, scope: 'orders:read' }).getToken()
    const auth = await verifier.verify(token, { scopes: ['orders:read'] })
    expect(auth.clientId).toBe('billing')
    expect(auth.scopes).toEqual(['orders:read'])
  })

  it('private_key_jwt end to end', async () => {
    const token = await createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'reports',
      privateKey: { ...(assertionKey.privateKey.export({ format: 'jwk' }) as JWK), kid: 'reports-1' },
      clock: clock.now,
    }).getToken()
    const auth = await verifier.verify(token)
    expect(auth.clientId).toBe('reports')
    expect(auth.scopes).toEqual(['orders:read'])
  })

  it('private_key_jwt with a key the server does not know fails as invalid_client, once', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const error = await client({
      clientId: 'reports',
      clientSecret: undefined,
      privateKey: stranger,
    } as Partial<TokenClientOptions>)
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'TokenRequestError', error: 'invalid_client', attempts: 1 })
    expect(server.requests.token).toBe(1)
  })

  it('discovers the token endpoint from the issuer (path-inserted RFC 8414 metadata)', async () => {
    const token = await createTokenClient({
      issuer: server.issuer,
      clientId: 'billing',
      clientSecret: 'billing-secret',
      clock: clock.now,
    }).getToken()
    expect((await verifier.verify(token)).clientId).toBe('billing')
    expect(server.requests.metadata).toBe(1)
  })

  it('50 concurrent getToken calls make one token request', async () => {
    const c = client()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => c.getToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(server.requests.token).toBe(1)
  })

  it('reuses the cached token', async () => {
    const c = client()
    const first = await c.getToken()
    clock.advance(300_000)
    expect(await c.getToken()).toBe(first)
    expect(server.requests.token).toBe(1)
  })

  it('renews before expiry (advanced clock), and the new token is valid', async () => {
    const c = client()
    const first = await c.getToken()
    clock.advance(480_000) // 80% of 600 s
    const renewed = log.next('token_renewed')
    expect(await c.getToken()).toBe(first)
    await renewed
    const second = await c.getToken()
    expect(second).not.toBe(first)
    expect(server.requests.token).toBe(2)
    const { payload } = await verifier.verify(second)
    expect(payload.exp).toBe(Math.floor(clock.now() / 1000) + 600)
  })

  it('invalid credentials fail once, quickly, without a retry storm', async () => {
    const c = client({ clientSecret: 'wrong', retry: { retries: 5 } })
    const started = performance.now()
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => c.getToken()))
    expect(performance.now() - started).toBeLessThan(1_000)
    const [first] = results
    expect(first?.status).toBe('rejected')
    const error = first?.status === 'rejected' ? first.reason : undefined
    expect(error).toBeInstanceOf(TokenRequestError)
    expect(error).toMatchObject({ error: 'invalid_client', status: 401, attempts: 1 })
    expect(server.requests.token).toBe(1)
    expect(clock.sleeps).toEqual([])
  })

  it('a scope the client may not have fails as invalid_scope, not retried', async () => {
    await expect(client({ scope: 'admin' }).getToken()).rejects.toMatchObject({
      error: 'invalid_scope',
      status: 400,
    })
    expect(server.requests.token).toBe(1)
  })

  it('retries a 500, then gets the token', async () => {
    server.queueResponse('token', { status: 500, body: { error: 'server_error' } })
    expect((await verifier.verify(await client().getToken())).clientId).toBe('billing')
    expect(server.requests.token).toBe(2)
  })

  it('waits as told by a 429 Retry-After', async () => {
    server.queueResponse('token', {
      status: 429,
      headers: { 'retry-after': '3' },
      body: { error: 'slow_down' },
    })
    await client().getToken()
    expect(clock.sleeps).toEqual([3_000])
    expect(log.events[0]).toMatchObject({ type: 'token_request_failed', status: 429, retryIn: 3_000 })
  })
})

describe('client.fetch against a protected API', () => {
  let api: Server
  let apiUrl: string
  const statuses: number[] = []

  beforeEach(async () => {
    statuses.length = 0
    api = createServer(async (req, res) => {
      try {
        const auth = await verifier.authenticate(req.headers.authorization, { scopes: ['orders:read'] })
        statuses.push(200)
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ clientId: auth.clientId }))
      } catch (error) {
        if (!(error instanceof AuthError)) throw error
        statuses.push(error.status)
        res.writeHead(error.status, error.headers).end(JSON.stringify(error.body))
      }
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/orders`
  })
  afterEach(async () => {
    api.closeAllConnections()
    await new Promise((resolve) => api.close(resolve))
  })

  it('sends the token; recovers from the 401 that follows a key rotation', async () => {
    const c = client({ scope: 'orders:read' })
    expect((await c.fetch(apiUrl)).status).toBe(200)

    // The issuer drops its key (as after a compromise) and the API refreshes its key set: the
    // client's cached token is now signed by an unknown key, and the API answers 401 invalid_token.
    await server.rotateKeys({ dropPrevious: true })
    await verifier.warmUp()
    const res = await c.fetch(apiUrl)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ clientId: 'billing' })
    expect(statuses).toEqual([200, 401, 200])
    expect(server.requests.token).toBe(2)
  })

  it('does not fetch a new token on a 403', async () => {
    const c = client({ scope: 'orders:write' })
    const res = await c.fetch(apiUrl)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toContain('insufficient_scope')
    expect(statuses).toEqual([403])
    expect(server.requests.token).toBe(1)
  })
})
