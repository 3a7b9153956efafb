import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { AuthError, createGuard, type Verifier } from '@m2m-guard/koa'
import type { AuthServer } from '@m2m-guard/testing'
import Koa from 'koa'
import Koa2 from 'koa2'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, countingVerifier, startIssuer } from '../../../test/support/counting-verifier.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const bearer = async (claims: Record<string, unknown> = {}) => `Bearer ${await server.mint(claims)}`

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
    expect(() => createGuard({ verifier, audience: AUDIENCE } as never)).toThrow(
      '"verifier" option excludes verifier options (got audience)',
    )
    expect(() => createGuard({ issuer: server.issuer } as never)).toThrow(/audience/)
  })

  it('rejects a malformed requirement when the route is declared', () => {
    const guard = createGuard(countingVerifier(server).verifier)
    expect(() => guard.require({ scope: ['orders:read'] } as never)).toThrow(
      'requirement has unknown field "scope"',
    )
    expect(() => guard.require({ anyScopes: [] })).toThrow('"anyScopes" must not be empty')
  })
})

describe.each([
  ['koa 3', Koa],
  ['koa 2', Koa2],
])('%s', (_name, App) => {
  const serve = (app: Pick<Koa, 'callback'>) => request(app.callback())

  it('sets ctx.state.auth and runs the next middleware', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const router = new Router()
    router.get('/orders', guard.require({ scopes: ['orders:read'] }), (ctx) => {
      ctx.body = { clientId: ctx.state.auth.clientId, scopes: ctx.state.auth.scopes }
    })
    const app = new App().use(router.routes())
    const response = await serve(app)
      .get('/orders')
      .set('Authorization', await bearer({ client_id: 'billing', scope: 'orders:read' }))
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ clientId: 'billing', scopes: ['orders:read'] })
  })

  it('guards a whole nested router', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const admin = new Router({ prefix: '/admin' })
    admin.use(guard.require({ clients: ['ops-console'] }))
    admin.get('/jobs', (ctx) => {
      ctx.body = { clientId: ctx.state.auth.clientId }
    })
    const app = new App().use(admin.routes())
    expect((await serve(app).get('/admin/jobs')).status).toBe(401)
    const refused = await serve(app)
      .get('/admin/jobs')
      .set('Authorization', await bearer({ client_id: 'billing' }))
    expect(refused.status).toBe(403)
    const allowed = await serve(app)
      .get('/admin/jobs')
      .set('Authorization', await bearer({ client_id: 'ops-console' }))
    expect(allowed.body).toEqual({ clientId: 'ops-console' })
  })

  it('verifies once when guards of the same verifier are stacked', async () => {
    const { verifier, verifications } = countingVerifier(server)
    const guard = createGuard(verifier)
    const router = new Router()
    router.post('/orders', guard.require({ scopes: ['orders:write'] }), (ctx) => {
      ctx.status = 201
    })
    const app = new App().use(guard.require()).use(router.routes())
    const response = await serve(app)
      .post('/orders')
      .set('Authorization', await bearer({ scope: 'orders:read orders:write' }))
    expect(response.status).toBe(201)
    expect(verifications()).toBe(1)
  })

  it('passes a reused token from the cache; refuses it on a route it falls short of, and once expired', async () => {
    let now = Date.now()
    const { verifier, verifications } = countingVerifier(server, { tokenCache: 100, clock: () => now })
    const guard = createGuard(verifier)
    const seen: unknown[] = []
    const router = new Router()
    router.get('/orders', guard.require({ scopes: ['orders:read'] }), (ctx) => {
      ctx.body = { clientId: ctx.state.auth.clientId }
    })
    router.get('/reports', guard.require({ scopes: ['reports:read'] }), (ctx) => {
      ctx.body = { clientId: ctx.state.auth.clientId }
    })
    router.get('/fails', guard.require({ scopes: ['orders:read'] }), () => {
      throw new Error('handler failed')
    })
    const app = new App()
      .use(async (ctx, next) => {
        try {
          await next()
        } catch (error) {
          seen.push(error)
          ctx.status = 500
        }
      })
      .use(router.routes())
    const token = await bearer({
      client_id: 'billing',
      scope: 'orders:read',
      exp: Math.floor(now / 1000) + 60,
    })
    for (let call = 0; call < 3; call++) {
      const response = await serve(app).get('/orders').set('Authorization', token)
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ clientId: 'billing' })
    }
    expect(verifications()).toBe(1)
    for (let call = 0; call < 2; call++) {
      expect((await serve(app).get('/reports').set('Authorization', token)).status).toBe(403)
      expect((await serve(app).get('/fails').set('Authorization', token)).status).toBe(500)
    }
    expect(seen.map((error) => (error as Error).message)).toEqual(['handler failed', 'handler failed'])
    now += 120_000
    const expired = await serve(app).get('/orders').set('Authorization', token)
    expect(expired.status).toBe(401)
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })

  it('verifies again a request authenticated by another verifier', async () => {
    const orders = countingVerifier(server)
    const invoices = countingVerifier(server, { audience: 'https://invoices.example' })
    const app = new App()
      .use(createGuard(orders.verifier).require())
      .use(createGuard(invoices.verifier).require())
      .use((ctx) => {
        ctx.body = { aud: ctx.state.auth.payload.aud }
      })
    const forOrders = await serve(app)
      .get('/')
      .set('Authorization', await bearer())
    expect(forOrders.status).toBe(401)
    expect(forOrders.body.error_description).toBe('token is not meant for this audience')
    const forBoth = await serve(app)
      .get('/')
      .set('Authorization', await bearer({ aud: [AUDIENCE, 'https://invoices.example'] }))
    expect(forBoth.status).toBe(200)
    expect(invoices.verifications()).toBe(1)
  })

  it("with onError: 'throw', the AuthError reaches the app's error middleware", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'throw' })
    const seen: unknown[] = []
    const app = new App()
      .use(async (ctx, next) => {
        try {
          await next()
        } catch (err) {
          seen.push(err)
          if (!(err instanceof AuthError)) throw err
          ctx.status = err.status
          ctx.set(err.headers)
          ctx.type = 'application/problem+json'
          ctx.body = JSON.stringify({ type: `https://errors.example/${err.reason}`, detail: err.description })
        }
      })
      .use(guard.require({ scopes: ['orders:read'] }))
    const response = await serve(app)
      .get('/orders')
      .set('Authorization', await bearer({ scope: 'reports:read' }))
    expect(seen[0]).toBeInstanceOf(AuthError)
    expect(response.status).toBe(403)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"',
    )
    expect(JSON.parse(response.text)).toEqual({
      type: 'https://errors.example/insufficient_scope',
      detail: 'missing required scope: orders:read',
    })
  })

  it("with onError: 'throw' and no error middleware of yours, Koa's own keeps status, challenge and message", async () => {
    const app = new App().use(
      createGuard({ verifier: countingVerifier(server).verifier, onError: 'throw' }).require(),
    )
    app.silent = true
    const response = await serve(app).get('/')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.text).toBe('authentication required')
  })

  it("with onError: 'throw', Koa's own handler answers a 503 with its Retry-After, never the message (internal URLs)", async () => {
    // A port that was just free and is now closed: the key set cannot be fetched.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const jwksUri = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/internal/jwks`
    await new Promise((resolve) => probe.close(resolve))
    const app = new App().use(
      createGuard({ issuer: server.issuer, audience: AUDIENCE, jwksUri, onError: 'throw' }).require(),
    )
    app.silent = true
    const response = await serve(app)
      .get('/')
      .set('Authorization', await bearer())
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(response.text).toBe('Service Unavailable')
    expect(response.text).not.toContain('127.0.0.1')
  })

  it('throws an unexpected error, even by default', async () => {
    const failure = new Error('verifier crashed')
    const broken = { authorize: () => Promise.reject(failure), owns: () => false } as unknown as Verifier
    const seen: unknown[] = []
    const app = new App()
      .use(async (ctx, next) => {
        try {
          await next()
        } catch (err) {
          seen.push(err)
          ctx.status = 500
        }
      })
      .use(createGuard(broken).require())
    expect((await serve(app).get('/').set('Authorization', 'Bearer x.y.z')).status).toBe(500)
    expect(seen).toEqual([failure])
  })

  it('does not catch errors thrown downstream', async () => {
    const failure = new Error('handler failed')
    const seen: unknown[] = []
    const app = new App()
      .use(async (ctx, next) => {
        try {
          await next()
        } catch (err) {
          seen.push(err)
          ctx.status = 500
        }
      })
      .use(createGuard(countingVerifier(server).verifier).require())
      .use(() => {
        throw failure
      })
    expect(
      (
        await serve(app)
          .get('/')
          .set('Authorization', await bearer())
      ).status,
    ).toBe(500)
    expect(seen).toEqual([failure])
  })
})
