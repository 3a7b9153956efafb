import { AuthError, createGuard, respond, type Verifier } from '@m2m-guard/fetch'
import type { AuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, countingVerifier, startIssuer } from '../../../test/support/counting-verifier.js'
import { createDpopKey } from '../../core/test/helpers/dpop.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const call = async (claims?: Record<string, unknown>, url = 'https://orders.example/orders') =>
  new Request(
    url,
    claims === undefined ? {} : { headers: { authorization: `Bearer ${await server.mint(claims)}` } },
  )

describe('createGuard', () => {
  it('takes verifier options, a Verifier, or { verifier }', () => {
    const { verifier } = countingVerifier(server)
    expect(createGuard(verifier).verifier).toBe(verifier)
    expect(createGuard({ verifier, onError: 'throw' }).verifier).toBe(verifier)
    expect(typeof createGuard({ issuer: server.issuer, audience: AUDIENCE }).verifier.authorize).toBe(
      'function',
    )
  })

  it('fails at start-up on bad options, naming the option', () => {
    const { verifier } = countingVerifier(server)
    expect(() => createGuard({ verifier, onError: 'next' as 'throw' })).toThrow(
      '"onError" option must be "respond" or "throw"',
    )
    expect(() => createGuard({ verifier: {} as Verifier })).toThrow('"verifier" option must be a Verifier')
    expect(() => createGuard({ issuer: server.issuer } as never)).toThrow(TypeError)
  })

  it('refuses a malformed requirement or handler when the route is declared', () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const handler = () => new Response()
    expect(() => guard.protect({ scope: ['orders:read'] } as never, handler)).toThrow(
      'requirement has unknown field "scope"',
    )
    expect(() => guard.protect({ clients: [] }, handler)).toThrow('"clients" must not be empty')
    expect(() => guard.protect({ scopes: ['orders:read'] }, 'handler' as never)).toThrow(
      'protect() needs a handler function',
    )
  })
})

describe('protect', () => {
  it('runs the handler with the verified token and what the runtime passes after the request', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const env = { KV: 'binding' }
    const fetch = guard.protect<[typeof env, string]>({ scopes: ['orders:read'] }, (request, auth, ...rest) =>
      Response.json({ url: request.url, client: auth.clientId, rest }),
    )
    const response = await fetch(await call({ client_id: 'billing', scope: 'orders:read' }), env, 'ctx')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      url: 'https://orders.example/orders',
      client: 'billing',
      rest: [{ KV: 'binding' }, 'ctx'],
    })
  })

  it('authenticates only when given just a handler', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const fetch = guard.protect((_request, auth) => Response.json(auth.scopes))
    expect(await (await fetch(await call({ client_id: 'billing' }))).json()).toEqual([])
    expect((await fetch(await call())).status).toBe(401)
  })

  it('answers a refusal with the RFC 6750 response and never runs the handler', async () => {
    const guard = createGuard({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      realm: 'orders',
    })
    let ran = 0
    const fetch = guard.protect({ scopes: ['orders:write'] }, () => {
      ran++
      return new Response('ok')
    })
    const response = await fetch(await call({ client_id: 'billing', scope: 'orders:read' }))
    expect(response.status).toBe(403)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="missing required scope: orders:write", scope="orders:write"',
    )
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'missing required scope: orders:write',
    })
    expect(ran).toBe(0)
  })

  it("with onError 'throw', rejects with the AuthError instead", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'throw' })
    const fetch = guard.protect({ scopes: ['orders:read'] }, () => new Response('ok'))
    const error = await fetch(await call({ client_id: 'billing' })).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).reason).toBe('insufficient_scope')
  })

  it("lets the handler's own errors through", async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const fetch = guard.protect(() => {
      throw new RangeError('handler bug')
    })
    await expect(fetch(await call({ client_id: 'billing' }))).rejects.toThrow('handler bug')
  })
})

describe('authenticate', () => {
  it('verifies a request once however many requirements it meets; another request is verified again', async () => {
    const { verifier, verifications } = countingVerifier(server)
    const guard = createGuard(verifier)
    const request = await call({ client_id: 'billing', scope: 'orders:read orders:write' })
    await guard.authenticate(request)
    const auth = await guard.authenticate(request, { scopes: ['orders:write'] })
    expect(auth.scopes).toEqual(['orders:read', 'orders:write'])
    expect(verifications()).toBe(1)
    await expect(guard.authenticate(request, { scopes: ['orders:admin'] })).rejects.toMatchObject({
      status: 403,
    })
    await guard.authenticate(new Request(request))
    expect(verifications()).toBe(2)
  })

  it('does not take a result verified by another guard', async () => {
    const first = countingVerifier(server)
    const second = countingVerifier(server)
    const request = await call({ client_id: 'billing' })
    await createGuard(first.verifier).authenticate(request)
    await createGuard(second.verifier).authenticate(request)
    expect([first.verifications(), second.verifications()]).toEqual([1, 1])
  })

  it('rejects with an AuthError for hostile headers, never anything else', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const headers = [
      'Bearer',
      'Bearer a b',
      `Bearer ${'a'.repeat(100_000)}`,
      'Bearer a.b.c',
      'bearer  x',
      'Basic x',
    ]
    for (const authorization of headers) {
      const error = await guard
        .authenticate(new Request('https://orders.example/', { headers: { authorization } }))
        .catch((thrown: unknown) => thrown)
      expect(error, authorization.slice(0, 20)).toBeInstanceOf(AuthError)
    }
  })
})

describe('respond', () => {
  it('is the 503 with Retry-After and no challenge when keys cannot be had', async () => {
    const guard = createGuard({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: 'http://127.0.0.1:1/jwks',
    })
    const error: unknown = await guard
      .authenticate(await call({ client_id: 'billing' }))
      .catch((thrown) => thrown)
    if (!(error instanceof AuthError)) throw new Error('expected an AuthError')
    const response = guard.respond(error)
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
    expect(response.headers.has('www-authenticate')).toBe(false)
    expect(await response.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'signing keys are temporarily unavailable',
    })
  })

  it('refuses what is not an AuthError', () => {
    expect(() => respond(new Error('x') as never)).toThrow('respond() needs an AuthError')
  })
})

describe('metadata', () => {
  const options = () => ({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    resourceMetadata: { resource: 'https://orders.example/v1' },
  })

  it('serves the RFC 9728 document to GET and HEAD, names its path, and refuses other methods', async () => {
    const guard = createGuard(options())
    guard.protect({ scopes: ['orders:read'] }, () => new Response())
    const metadata = guard.metadata()
    expect(metadata.path).toBe('/.well-known/oauth-protected-resource/v1')
    const url = `https://orders.example${metadata.path}`
    const response = metadata(new Request(url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({
      resource: 'https://orders.example/v1',
      authorization_servers: [server.issuer],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header'],
    })
    const head = metadata(new Request(url, { method: 'HEAD' }))
    expect([head.status, await head.text()]).toEqual([200, ''])
    const post = metadata(new Request(url, { method: 'POST' }))
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
  })

  it('is a TypeError at start-up without the resourceMetadata option', () => {
    expect(() => createGuard(countingVerifier(server).verifier).metadata()).toThrow(
      /needs the "resourceMetadata" option/,
    )
  })
})

describe('responseHeaders', () => {
  const secret = 'a nonce secret of thirty-two bytes or more'
  const url = 'https://orders.example/orders'

  it("carries RFC 9449 §8.2's next DPoP-Nonce when the client's nonce is in its last window", async () => {
    const now = Date.now()
    const options = { issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri }
    const guard = createGuard({ ...options, clock: () => now, dpop: { nonce: { secret } } })
    // The same API one nonce window (60 s) later.
    const later = createGuard({ ...options, clock: () => now + 60_000, dpop: { nonce: { secret } } })
    const key = await createDpopKey()
    const token = await server.mint({ client_id: 'billing', scope: 'orders:read', cnf: { jkt: key.jkt } })
    const call = async (iat: number, claims: Record<string, unknown> = {}) =>
      new Request(url, {
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await key.proof({ method: 'GET', url, token, iat }, claims),
        },
      })
    const seconds = Math.floor(now / 1000)

    const refusal = await guard.authenticate(await call(seconds)).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(AuthError)
    expect((refusal as AuthError).body.error).toBe('use_dpop_nonce')
    const nonce = headerOf((refusal as AuthError).headers, 'dpop-nonce')
    expect(nonce).toMatch(/^[\w-]+$/)

    // A current nonce: nothing to add.
    const current = await call(seconds, { nonce })
    expect((await guard.authenticate(current)).clientId).toBe('billing')
    expect(guard.responseHeaders(current)).toEqual({})

    // One window later the same nonce still passes, and the answer hands out the next one.
    const ageing = await call(seconds + 60, { nonce })
    expect((await later.authenticate(ageing)).clientId).toBe('billing')
    const { 'DPoP-Nonce': next, ...others } = later.responseHeaders(ageing)
    expect(others).toEqual({})
    expect(next).toMatch(/^[\w-]+$/)
    expect(next).not.toBe(nonce)
    const renewed = await call(seconds + 60, { nonce: next })
    expect((await later.authenticate(renewed)).clientId).toBe('billing')
    expect(later.responseHeaders(renewed)).toEqual({})
  })

  it('is empty for a Bearer request and for a request never authenticated', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const request = await call({ client_id: 'billing', scope: 'orders:read' })
    expect(guard.responseHeaders(request)).toEqual({})
    await guard.authenticate(request)
    expect(guard.responseHeaders(request)).toEqual({})
  })
})

function headerOf(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1]
}
