import m2mGuard, { AuthError, createGuard, m2mGuard as named, type Verifier } from '@m2m-guard/fastify'
import type { AuthServer } from '@m2m-guard/testing'
import fastify, { type FastifyInstance } from 'fastify'
import fastify4 from 'fastify4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, countingVerifier, startIssuer } from '../../../test/support/counting-verifier.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const bearer = async (claims: Record<string, unknown> = {}) => `Bearer ${await server.mint(claims)}`

it('is the same plugin as default and named export', () => {
  expect(named).toBe(m2mGuard)
})

describe('createGuard', () => {
  it('fails at once on bad options or a malformed requirement', () => {
    const { verifier } = countingVerifier(server)
    expect(() => createGuard({ verifier, onError: 'next' as 'throw' })).toThrow(
      '"onError" option must be "respond" or "throw"',
    )
    expect(() => createGuard(verifier).require({ scope: ['x'] } as never)).toThrow(
      'requirement has unknown field "scope"',
    )
  })
})

describe.each([
  // fastify4 carries Fastify 4's own types; the plugin's declaration merging augments `fastify`.
  ['fastify 5', fastify],
  ['fastify 4', fastify4 as unknown as typeof fastify],
])('%s', (_name, create) => {
  const apps: FastifyInstance[] = []
  const app = (): FastifyInstance => {
    const instance = create()
    apps.push(instance)
    return instance
  }
  afterAll(() => Promise.all(apps.map((instance) => instance.close())))

  it('registers under its name and decorates app.m2mGuard and request.auth (null without a guard)', async () => {
    const { verifier } = countingVerifier(server)
    const instance = app()
    await instance.register(m2mGuard, { verifier })
    instance.get('/public', async (request) => ({ auth: request.auth }))
    await instance.ready()
    expect(instance.hasPlugin('@m2m-guard/fastify')).toBe(true)
    expect(instance.m2mGuard.verifier).toBe(verifier)
    expect((await instance.inject('/public')).json()).toEqual({ auth: null })
  })

  it('rejects bad options when the plugin loads', async () => {
    const instance = app()
    instance.register(m2mGuard, { issuer: server.issuer } as never)
    await expect(instance.ready()).rejects.toThrow(/audience/)
  })

  it('sets request.auth through a hook from app.m2mGuard.require()', async () => {
    const instance = app()
    await instance.register(m2mGuard, { issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri })
    instance.get(
      '/orders',
      { preHandler: instance.m2mGuard.require({ scopes: ['orders:read'] }) },
      async (request) => ({
        clientId: request.auth.clientId,
        scopes: request.auth.scopes,
      }),
    )
    const response = await instance.inject({
      url: '/orders',
      headers: { authorization: await bearer({ client_id: 'billing', scope: 'orders:read' }) },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ clientId: 'billing', scopes: ['orders:read'] })
  })

  describe('a requirement declared in config.m2m', () => {
    it('is enforced on the route, its HEAD twin, and routes of plugins registered later', async () => {
      const instance = app()
      await instance.register(m2mGuard, { verifier: countingVerifier(server).verifier })
      instance.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async () => ({ ok: true }))
      await instance.register(
        async (admin) => {
          admin.get('/', { config: { m2m: { clients: ['ops-console'] } } }, async () => ({ admin: true }))
        },
        { prefix: '/admin' },
      )
      const token = await bearer({ client_id: 'billing', scope: 'orders:read' })
      expect((await instance.inject('/orders')).statusCode).toBe(401)
      expect((await instance.inject({ method: 'HEAD', url: '/orders' })).statusCode).toBe(401)
      expect((await instance.inject({ url: '/orders', headers: { authorization: token } })).statusCode).toBe(
        200,
      )
      for (const url of ['/admin', '/admin/']) {
        expect((await instance.inject({ url, headers: { authorization: token } })).statusCode).toBe(403)
      }
    })

    it('is enforced on routes declared before the plugin loaded (an unawaited register)', async () => {
      const instance = app()
      // No await: Fastify loads the plugin later, after these routes are declared.
      instance.register(m2mGuard, { verifier: countingVerifier(server).verifier })
      instance.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async () => ({
        secret: true,
      }))
      instance.get('/health', async () => ({ up: true }))
      await instance.ready()
      expect((await instance.inject('/orders')).statusCode).toBe(401)
      expect((await instance.inject({ method: 'HEAD', url: '/orders' })).statusCode).toBe(401)
      const refused = await instance.inject({
        url: '/orders',
        headers: { authorization: await bearer({ scope: 'x' }) },
      })
      expect(refused.statusCode).toBe(403)
      const token = await bearer({ client_id: 'billing', scope: 'orders:read' })
      const passed = await instance.inject({ url: '/orders', headers: { authorization: token } })
      expect(passed.json()).toEqual({ secret: true })
      expect((await instance.inject('/health')).statusCode).toBe(200)
    })

    it('runs before body parsing and the route’s own onRequest hooks, which it keeps', async () => {
      const instance = app()
      await instance.register(m2mGuard, { verifier: countingVerifier(server).verifier })
      const order: string[] = []
      instance.post(
        '/orders',
        {
          config: { m2m: { scopes: ['orders:write'] } },
          onRequest: async (request) => {
            order.push(`own onRequest, auth ${request.auth === null ? 'unset' : 'set'}`)
          },
          schema: { body: { type: 'object', required: ['sku'] } },
        },
        async () => ({ created: true }),
      )
      const garbage = await instance.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'content-type': 'application/json' },
        payload: '{not json',
      })
      expect(garbage.statusCode).toBe(401)
      expect(order).toEqual([])

      const created = await instance.inject({
        method: 'POST',
        url: '/orders',
        headers: { authorization: await bearer({ scope: 'orders:write' }) },
        payload: { sku: 'A-1' },
      })
      expect(created.statusCode).toBe(200)
      expect(order).toEqual(['own onRequest, auth set'])
    })

    it('fails at registration when malformed', async () => {
      const instance = app()
      await instance.register(m2mGuard, { verifier: countingVerifier(server).verifier })
      expect(() =>
        instance.get('/orders', { config: { m2m: { scopes: 'orders:read' } as never } }, async () => ({})),
      ).toThrow('"scopes" must be an array of strings')
    })
  })

  it('passes a reused token from the cache; refuses it on a route it falls short of, and once expired', async () => {
    let now = Date.now()
    const { verifier, verifications } = countingVerifier(server, { tokenCache: 100, clock: () => now })
    const instance = app()
    await instance.register(m2mGuard, { verifier })
    instance.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async (request) => ({
      clientId: request.auth.clientId,
    }))
    instance.get(
      '/reports',
      { preHandler: instance.m2mGuard.require({ scopes: ['reports:read'] }) },
      async (request) => ({ clientId: request.auth.clientId }),
    )
    instance.get('/fails', { config: { m2m: { scopes: ['orders:read'] } } }, async () => {
      throw new Error('handler failed')
    })
    const authorization = await bearer({
      client_id: 'billing',
      scope: 'orders:read',
      exp: Math.floor(now / 1000) + 60,
    })
    for (let call = 0; call < 3; call++) {
      const response = await instance.inject({ url: '/orders', headers: { authorization } })
      expect(response.statusCode).toBe(200)
      expect(response.json()).toEqual({ clientId: 'billing' })
    }
    expect(verifications()).toBe(1)
    for (let call = 0; call < 2; call++) {
      expect((await instance.inject({ url: '/reports', headers: { authorization } })).statusCode).toBe(403)
      const failed = await instance.inject({ url: '/fails', headers: { authorization } })
      expect(failed.statusCode).toBe(500)
      expect(failed.json().message).toBe('handler failed')
    }
    now += 120_000
    const expired = await instance.inject({ url: '/orders', headers: { authorization } })
    expect(expired.statusCode).toBe(401)
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })

  it('verifies once when guards of the same verifier are stacked; another verifier verifies again', async () => {
    const orders = countingVerifier(server)
    const invoices = countingVerifier(server, { audience: 'https://invoices.example' })
    const instance = app()
    await instance.register(m2mGuard, { verifier: orders.verifier })
    const other = createGuard(invoices.verifier)
    instance.get(
      '/stacked',
      { config: { m2m: {} }, preHandler: instance.m2mGuard.require({ scopes: ['orders:write'] }) },
      async () => ({ ok: true }),
    )
    instance.get(
      '/invoices',
      { onRequest: [instance.m2mGuard.require(), other.require()] },
      async (request) => ({
        aud: request.auth.payload.aud,
      }),
    )

    const stacked = await instance.inject({
      url: '/stacked',
      headers: { authorization: await bearer({ scope: 'orders:write' }) },
    })
    expect(stacked.statusCode).toBe(200)
    expect(orders.verifications()).toBe(1)

    const forOrders = await instance.inject({ url: '/invoices', headers: { authorization: await bearer() } })
    expect(forOrders.statusCode).toBe(401)
    expect(forOrders.json().error_description).toBe('token is not meant for this audience')
    const forBoth = await instance.inject({
      url: '/invoices',
      headers: { authorization: await bearer({ aud: [AUDIENCE, 'https://invoices.example'] }) },
    })
    expect(forBoth.json()).toEqual({ aud: [AUDIENCE, 'https://invoices.example'] })
    expect(invoices.verifications()).toBe(1)
  })

  it("with onError: 'throw', the AuthError reaches setErrorHandler", async () => {
    const instance = app()
    await instance.register(m2mGuard, { verifier: countingVerifier(server).verifier, onError: 'throw' })
    const seen: unknown[] = []
    instance.setErrorHandler((err, _request, reply) => {
      seen.push(err)
      if (!(err instanceof AuthError)) return reply.send(err)
      return reply
        .code(err.status)
        .headers(err.headers)
        .type('application/problem+json')
        .send({ type: `https://errors.example/${err.reason}`, detail: err.description })
    })
    instance.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async () => ({ ok: true }))
    const response = await instance.inject({
      url: '/orders',
      headers: { authorization: await bearer({ scope: 'reports:read' }) },
    })
    expect(seen[0]).toBeInstanceOf(AuthError)
    expect(response.statusCode).toBe(403)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"',
    )
    expect(response.json()).toEqual({
      type: 'https://errors.example/insufficient_scope',
      detail: 'missing required scope: orders:read',
    })
  })

  it("with onError: 'throw' and Fastify's default error handler, status and challenge are kept", async () => {
    const instance = app()
    await instance.register(m2mGuard, { verifier: countingVerifier(server).verifier, onError: 'throw' })
    instance.get('/orders', { onRequest: instance.m2mGuard.require() }, async () => ({ ok: true }))
    const response = await instance.inject('/orders')
    expect(response.statusCode).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.json()).toMatchObject({ statusCode: 401, message: 'authentication required' })
  })

  it('throws an unexpected error, even by default', async () => {
    const broken = {
      authorize: () => Promise.reject(new Error('verifier crashed')),
      owns: () => false,
    } as unknown as Verifier
    const instance = app()
    await instance.register(m2mGuard, { verifier: broken })
    instance.get('/orders', { config: { m2m: {} } }, async () => ({ ok: true }))
    const response = await instance.inject({ url: '/orders', headers: { authorization: 'Bearer x.y.z' } })
    expect(response.statusCode).toBe(500)
    expect(response.json().message).toBe('verifier crashed')
  })
})
