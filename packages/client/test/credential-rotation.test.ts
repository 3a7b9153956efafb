import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import {
  createTokenClient,
  type PrivateKey,
  type TokenClientEvent,
  type TokenClientOptions,
} from '@m2m-guard/client'
import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import type { JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock } from './helpers/clock.js'
import { startServer } from './helpers/http-server.js'

// The testing server holds several active secrets per client and adds and revokes them at run time,
// as identity providers do during a rotation. `presented` records which secret each token request
// carried (read from the request the client sent).
interface RotatingEndpoint {
  server: AuthServer
  tokenEndpoint: string
  presented: string[]
  /** What the client's fetch is: records the secret, then sends the request. */
  fetch: typeof fetch
}

function presentedSecret(init: RequestInit | undefined): string {
  const headers = new Headers(init?.headers)
  const basic = headers.get('authorization')?.match(/^Basic (.+)$/)?.[1]
  if (basic === undefined) return new URLSearchParams(String(init?.body)).get('client_secret') ?? ''
  const decoded = Buffer.from(basic, 'base64').toString('utf8')
  return decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1).replace(/\+/g, ' '))
}

async function startRotatingEndpoint(initial: string): Promise<RotatingEndpoint> {
  const server = await createAuthServer({
    algorithm: 'ES256',
    tokenLifetime: 600,
    clients: [{ clientId: 'billing', clientSecret: initial, scopes: ['orders:read'] }],
  })
  const presented: string[] = []
  return {
    server,
    tokenEndpoint: server.tokenEndpoint,
    presented,
    fetch: (input, init) => {
      presented.push(presentedSecret(init))
      return fetch(input, init)
    },
  }
}

let endpoint: RotatingEndpoint
let events: TokenClientEvent[]
beforeEach(async () => {
  endpoint = await startRotatingEndpoint('secret-v1')
  events = []
})
afterEach(() => endpoint.server.close())

function client(clientSecret: TokenClientOptions['clientSecret'], extra: Partial<TokenClientOptions> = {}) {
  const clock = createFakeClock()
  return createTokenClient({
    tokenEndpoint: endpoint.tokenEndpoint,
    clientId: 'billing',
    clientSecret,
    fetch: endpoint.fetch,
    clock: clock.now,
    sleep: clock.sleep,
    retry: { retries: 2, minDelay: 1, maxDelay: 2 },
    onEvent: (event) => events.push(event),
    ...extra,
  } as TokenClientOptions)
}

describe('clientSecret as a function', () => {
  it('is read at each token request', async () => {
    let reads = 0
    const c = client(() => {
      reads++
      return 'secret-v1'
    })
    expect(reads).toBe(0) // nothing is read before the first token request
    await c.getToken()
    c.invalidate()
    await c.getToken()
    expect(reads).toBe(2)
  })

  it('rehearses a rotation (add new, deploy, revoke old) with no failed call', async () => {
    // The secret store the service reads, as a secrets manager or a mounted file would be.
    let stored = 'secret-v1'
    const c = client(async () => stored)
    const results: string[] = []
    const call = async () => {
      results.push(await c.getToken())
      c.invalidate() // every call asks the token endpoint, so each phase is exercised
    }
    await call()
    endpoint.server.addSecret('billing', 'secret-v2') // 1. the provider holds both secrets
    await call()
    stored = 'secret-v2' // 2. the new secret is deployed to the store
    await call()
    expect(endpoint.server.revokeSecret('billing', 'secret-v1')).toBe(true) // 3. the old one is revoked
    await call()
    expect(new Set(results).size).toBe(4)
    const verifier = createVerifier({
      issuer: endpoint.server.issuer,
      audience: 'https://api.example',
      jwksUri: endpoint.server.jwksUri,
    })
    for (const token of results) expect((await verifier.verify(token)).clientId).toBe('billing')
    expect(endpoint.presented).toEqual(['secret-v1', 'secret-v1', 'secret-v2', 'secret-v2'])
    expect(events.filter((event) => event.type === 'token_request_failed')).toEqual([])
  })

  it('on invalid_client reads the secret once more and retries with the rotated one', async () => {
    // The provider switched to v2 while the service still read v1 (a file not yet remounted).
    endpoint.server.addSecret('billing', 'secret-v2')
    endpoint.server.revokeSecret('billing', 'secret-v1')
    const answers = ['secret-v1', 'secret-v2']
    const c = client(async () => answers.shift() ?? 'secret-v2')
    expect(await c.getToken()).toMatch(/^eyJ/)
    expect(endpoint.presented).toEqual(['secret-v1', 'secret-v2'])
    expect(events).toContainEqual({ type: 'credential_reread', changed: true })
    expect(events.filter((event) => event.type === 'token_request_failed')).toEqual([])
  })

  it('fails with invalid_client when the re-read gives the same secret, without sending it again', async () => {
    let reads = 0
    const c = client(() => {
      reads++
      return 'revoked'
    })
    await expect(c.getToken()).rejects.toMatchObject({ error: 'invalid_client', attempts: 1 })
    expect(reads).toBe(2)
    expect(endpoint.presented).toEqual(['revoked'])
    expect(events).toContainEqual({ type: 'credential_reread', changed: false })
  })

  it('retries once only: a rotated secret that is refused too fails', async () => {
    let n = 0
    const c = client(() => `wrong-${++n}`)
    await expect(c.getToken()).rejects.toMatchObject({ error: 'invalid_client' })
    expect(endpoint.presented).toEqual(['wrong-1', 'wrong-2'])
  })

  it('a plain secret is not re-read: invalid_client fails at once', async () => {
    await expect(client('revoked').getToken()).rejects.toMatchObject({ error: 'invalid_client' })
    expect(endpoint.presented).toEqual(['revoked'])
    expect(events.some((event) => event.type === 'credential_reread')).toBe(false)
  })

  it('a function that throws is retried like a network error, then fails naming the option', async () => {
    let calls = 0
    const c = client(() => {
      calls++
      throw new Error('vault unreachable')
    })
    const error = await c.getToken().catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'TokenRequestError',
      reason: 'credential_unavailable',
      retryable: true,
      attempts: 3,
      message: expect.stringContaining('"clientSecret"'),
      cause: expect.objectContaining({ message: 'vault unreachable' }),
    })
    expect(calls).toBe(3)
    expect(endpoint.presented).toEqual([])
  })

  it('a function that recovers after a failure yields a token', async () => {
    const answers: Array<() => string> = [
      () => {
        throw new Error('vault hiccup')
      },
      () => 'secret-v1',
    ]
    const c = client(() => (answers.shift() ?? (() => 'secret-v1'))())
    expect(await c.getToken()).toMatch(/^eyJ/)
  })

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['a number', 42],
    ['undefined', undefined],
  ])('a function returning %s fails at once, naming the option, not retried', async (_, value) => {
    const c = client(async () => value as string)
    await expect(c.getToken()).rejects.toMatchObject({
      reason: 'credential_unavailable',
      retryable: false,
      attempts: 1,
      message: expect.stringMatching(/"clientSecret" function returned a value that is not usable/),
    })
    expect(endpoint.presented).toEqual([])
  })

  it('a function that never answers times out (the timeout option)', async () => {
    const c = client(() => new Promise<string>(() => {}), { timeout: 50, retry: false })
    await expect(c.getToken()).rejects.toMatchObject({
      reason: 'credential_unavailable',
      message: expect.stringContaining('did not answer within 50 ms'),
    })
  })

  it('works with client_secret_post, and the secret read from a function is redacted if echoed', async () => {
    const secret = 'FUNCTION-SECRET-d0-n0t-l34k'
    const echo = await startServer((request) => ({
      status: 400,
      body: { error: 'invalid_request', error_description: `got ${request.body}` },
    }))
    try {
      const error = await createTokenClient({
        tokenEndpoint: `${echo.url}/token`,
        clientId: 'billing',
        clientSecret: async () => secret,
        authMethod: 'client_secret_post',
      })
        .getToken()
        .catch((e: unknown) => e)
      expect(error).toMatchObject({ error: 'invalid_request' })
      expect(JSON.stringify(error)).not.toContain(secret)
      expect(String((error as { errorDescription: string }).errorDescription)).toContain(
        'client_secret=[redacted]',
      )
    } finally {
      await echo.close()
    }
  })

  it('is refused at creation when it is neither a string nor a function', () => {
    expect(() =>
      createTokenClient({ tokenEndpoint: endpoint.tokenEndpoint, clientId: 'a', clientSecret: 7 as never }),
    ).toThrow(/"clientSecret" option must be a non-empty string/)
  })
})

describe('rotation against @m2m-guard/testing', () => {
  let server: AuthServer
  const keyV1 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const keyV2 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicJwk = (key: KeyObject, kid: string) => ({ ...(key.export({ format: 'jwk' }) as JWK), kid })

  beforeEach(async () => {
    server = await createAuthServer({
      algorithm: 'ES256',
      audience: 'https://orders.example',
      clients: [
        { clientId: 'billing', clientSecret: 'secret-v1', scopes: ['orders:read'] },
        { clientId: 'reports', jwks: { keys: [publicJwk(keyV1.publicKey, 'v1')] }, scopes: ['orders:read'] },
      ],
    })
  })
  afterEach(() => server.close())

  // What the credential function answers next: a stale value first, as a cache or a file not yet
  // remounted would give, then the current one.
  function source<T>(values: T[]): { read: () => Promise<T>; reads: T[]; queue: (...next: T[]) => void } {
    const reads: T[] = []
    let last = values[0] as T
    return {
      reads,
      queue: (...next) => values.push(...next),
      read: async () => {
        last = values.shift() ?? last
        reads.push(last)
        return last
      },
    }
  }
  const verify = (token: string) =>
    createVerifier({ issuer: server.issuer, audience: 'https://orders.example', jwksUri: server.jwksUri })
      .verify(token)
      .then((auth) => auth.clientId)

  it('a secret replaced at the server is picked up on invalid_client, with no failed call', async () => {
    const secret = source(['secret-v1'])
    const c = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      clientSecret: secret.read,
      onEvent: (event) => events.push(event),
    })
    const first = await c.getToken()
    server.addClient({ clientId: 'billing', clientSecret: 'secret-v2', scopes: ['orders:read'] })
    secret.queue('secret-v1', 'secret-v2')
    c.invalidate()
    const second = await c.getToken()
    expect(await verify(first)).toBe('billing')
    expect(await verify(second)).toBe('billing')
    expect(secret.reads).toEqual(['secret-v1', 'secret-v1', 'secret-v2'])
    expect(server.requests.token).toBe(3)
    expect(events).toContainEqual({ type: 'credential_reread', changed: true })
    expect(events.filter((event) => event.type === 'token_request_failed')).toEqual([])
  })

  it('a private key rotated at the server is picked up on invalid_client', async () => {
    const privateJwk = (key: KeyObject, kid: string): PrivateKey => ({
      ...(key.export({ format: 'jwk' }) as JWK),
      kid,
    })
    const key = source([privateJwk(keyV1.privateKey, 'v1')])
    const c = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'reports',
      privateKey: key.read,
      onEvent: (event) => events.push(event),
    })
    expect(await verify(await c.getToken())).toBe('reports')
    server.addClient({
      clientId: 'reports',
      jwks: { keys: [publicJwk(keyV2.publicKey, 'v2')] },
      scopes: ['orders:read'],
    })
    key.queue(privateJwk(keyV1.privateKey, 'v1'), privateJwk(keyV2.privateKey, 'v2'))
    c.invalidate()
    expect(await verify(await c.getToken())).toBe('reports')
    expect(key.reads.map((jwk) => (jwk as JWK).kid)).toEqual(['v1', 'v1', 'v2'])
    expect(server.requests.token).toBe(3)
    expect(events).toContainEqual({ type: 'credential_reread', changed: true })
  })

  it('rehearses a private_key_jwt key rotation (addKey, deploy, revokeKey) with no failed call', async () => {
    let current: PrivateKey = { ...(keyV1.privateKey.export({ format: 'jwk' }) as JWK), kid: 'v1' }
    const c = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'reports',
      privateKey: async () => current,
      onEvent: (event) => events.push(event),
    })
    const clients: Array<string | undefined> = []
    const call = async () => {
      clients.push(await verify(await c.getToken()))
      c.invalidate()
    }
    await call()
    server.addKey('reports', publicJwk(keyV2.publicKey, 'v2'))
    await call()
    current = { ...(keyV2.privateKey.export({ format: 'jwk' }) as JWK), kid: 'v2' }
    await call()
    expect(server.revokeKey('reports', 'v1')).toBe(true)
    await call()
    expect(clients).toEqual(['reports', 'reports', 'reports', 'reports'])
    expect(server.requests.token).toBe(4)
    expect(events.filter((event) => event.type === 'token_request_failed')).toEqual([])
  })

  it('a privateKey function returning a public key fails naming the option', async () => {
    const c = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'reports',
      privateKey: () => keyV1.publicKey,
    })
    await expect(c.getToken()).rejects.toMatchObject({
      reason: 'credential_unavailable',
      message: expect.stringContaining('"privateKey" option must be a private key'),
    })
    expect(server.requests.token).toBe(0)
  })
})
