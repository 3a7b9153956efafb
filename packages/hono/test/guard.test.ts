import { AuthError, createGuard, type Verifier } from '@m2m-guard/hono'
import type { AuthServer } from '@m2m-guard/testing'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { HTTPException } from 'hono/http-exception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countingVerifier, startIssuer } from '../../../test/support/counting-verifier.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const get = async (
  app: Hono,
  path: string,
  claims?: Record<string, unknown>,
  headers: Record<string, string> = {},
) => {
  const authorization = claims === undefined ? {} : { authorization: `Bearer ${await server.mint(claims)}` }
  return app.request(path, { headers: { ...authorization, ...headers } })
}

describe('createGuard', () => {
  it('takes verifier options, a Verifier, or { verifier }', () => {
    const { verifier } = countingVerifier(server)
    expect(createGuard(verifier).verifier).toBe(verifier)
    expect(createGuard({ verifier, onError: 'throw' }).verifier).toBe(verifier)
    expect(() => createGuard({ verifier, onError: 'next' as 'throw' })).toThrow(
      '"onError" option must be "respond" or "throw"',
    )
    expect(() => createGuard({ verifier: {} as Verifier })).toThrow('"verifier" option must be a Verifier')
  })

  it('refuses a malformed requirement when the route is declared', () => {
    const guard = createGuard(countingVerifier(server).verifier)
    expect(() => guard.require({ scopes: 'orders:read' } as never)).toThrow(
      '"scopes" must be an array of strings',
    )
  })
})

describe('require', () => {
  it('sets c.var.auth for the handlers after it', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const app = new Hono()
    app.get('/orders/:id', guard.require({ scopes: ['orders:read'] }), (c) =>
      c.json({ id: c.req.param('id'), client: c.var.auth.clientId, scopes: c.get('auth').scopes }),
    )
    const response = await get(app, '/orders/7', { client_id: 'billing', scope: 'orders:read' })
    expect(await response.json()).toEqual({ id: '7', client: 'billing', scopes: ['orders:read'] })
  })

  it('answers a refusal itself, keeping headers set by earlier middleware, and never runs the handler', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const app = new Hono()
    let ran = 0
    app.use(cors({ origin: 'https://console.example' }))
    app.get('/orders', guard.require({ clients: ['ops-console'] }), (c) => {
      ran++
      return c.text('ok')
    })
    const response = await get(
      app,
      '/orders',
      { client_id: 'billing' },
      { origin: 'https://console.example' },
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('access-control-allow-origin')).toBe('https://console.example')
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="client 'billing' is not allowed to access this resource"`,
    )
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: "client 'billing' is not allowed to access this resource",
    })
    expect(ran).toBe(0)
  })

  it('verifies a request once across stacked guards, on app.use and on the route', async () => {
    const { verifier, verifications } = countingVerifier(server)
    const guard = createGuard(verifier)
    const app = new Hono()
    app.use('/orders/*', guard.require())
    app.post('/orders/new', guard.require({ scopes: ['orders:write'] }), (c) => c.json(c.var.auth.scopes))
    const ok = await app.request('/orders/new', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await server.mint({ client_id: 'billing', scope: 'orders:write' })}`,
      },
    })
    expect(await ok.json()).toEqual(['orders:write'])
    expect(verifications()).toBe(1)
  })

  it("with onError 'throw', throws an HTTPException carrying the RFC 6750 response and the AuthError", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'throw' })
    const app = new Hono()
    const seen: unknown[] = []
    app.onError((error, c) => {
      seen.push(error)
      return error instanceof HTTPException ? error.getResponse() : c.text('internal', 500)
    })
    app.get('/orders', guard.require({ scopes: ['orders:read'] }), (c) => c.text('ok'))
    const response = await get(app, '/orders')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(await response.json()).toEqual({
      error: 'unauthorized',
      error_description: 'authentication required',
    })
    const [error] = seen as [HTTPException]
    expect(error).toBeInstanceOf(HTTPException)
    expect(error.status).toBe(401)
    expect(error.cause).toBeInstanceOf(AuthError)
    expect((error.cause as AuthError).reason).toBe('missing_token')
  })

  it("with onError 'throw' and Hono's default error handler, still answers the RFC 6750 response", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'throw' })
    const app = new Hono()
    app.get('/orders', guard.require({ scopes: ['orders:read'] }), (c) => c.text('ok'))
    const response = await get(app, '/orders', { client_id: 'billing' })
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' })
  })
})

describe('metadata', () => {
  it('serves the RFC 9728 document at its path, as middleware or as the route handler', async () => {
    const guard = createGuard({
      verifier: countingVerifier(server, { resourceMetadata: { resource: 'https://orders.example' } })
        .verifier,
    })
    const metadata = guard.metadata()
    expect(metadata.path).toBe('/.well-known/oauth-protected-resource')
    const asMiddleware = new Hono()
    asMiddleware.use(metadata)
    asMiddleware.get('/orders', guard.require({ scopes: ['orders:read'] }), (c) => c.text('ok'))
    const asRoute = new Hono()
    asRoute.get(metadata.path, metadata)
    for (const app of [asMiddleware, asRoute]) {
      const response = await app.request(metadata.path)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toMatchObject({
        resource: 'https://orders.example',
        authorization_servers: [server.issuer],
      })
      expect((await app.request(metadata.path, { method: 'POST' })).status).toBe(404)
    }
    expect(await (await asMiddleware.request(metadata.path)).json()).toMatchObject({
      scopes_supported: ['orders:read'],
    })
  })
})
