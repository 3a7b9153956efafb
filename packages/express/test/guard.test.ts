import { AuthError, createGuard, type Verifier } from '@m2m-guard/express'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import express, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
    expect(createGuard({ verifier, onError: 'next' }).verifier).toBe(verifier)
    const own = createGuard({ issuer: server.issuer, audience: AUDIENCE })
    expect(typeof own.verifier.authorize).toBe('function')
  })

  it('fails at start-up on bad options, naming the option', () => {
    const { verifier } = countingVerifier(server)
    expect(() =>
      createGuard({ issuer: server.issuer, audience: AUDIENCE, onError: 'throw' as 'next' }),
    ).toThrow('"onError" option must be "respond" or "next"')
    expect(() => createGuard({ verifier, issuer: server.issuer } as never)).toThrow(
      '"verifier" option excludes verifier options (got issuer)',
    )
    expect(() => createGuard({ verifier: {} as Verifier })).toThrow('"verifier" option must be a Verifier')
    expect(() => createGuard({ issuer: server.issuer, audience: AUDIENCE, audiences: [] } as never)).toThrow(
      'unknown option "audiences"',
    )
    expect(() => createGuard(undefined as never)).toThrow(TypeError)
  })

  it('rejects a malformed requirement when the route is declared, not when it is called', () => {
    const guard = createGuard(countingVerifier(server).verifier)
    expect(() => guard.require({ scope: ['orders:read'] } as never)).toThrow(
      'requirement has unknown field "scope"',
    )
    expect(() => guard.require({ scopes: 'orders:read' } as never)).toThrow(
      '"scopes" must be an array of strings',
    )
    expect(() => guard.require({ clients: [] })).toThrow('"clients" must not be empty')
  })
})

describe.each([
  ['express 5', express],
  ['express 4', express4],
])('%s', (_name, framework) => {
  it('sets req.auth and calls the next handler', async () => {
    const app = framework()
    const guard = createGuard(countingVerifier(server).verifier)
    app.get('/orders', guard.require({ scopes: ['orders:read'] }), (req, res) => {
      res.json({ clientId: req.auth.clientId, scopes: req.auth.scopes, iss: req.auth.payload.iss })
    })
    const response = await request(app)
      .get('/orders')
      .set('Authorization', await bearer({ client_id: 'billing', scope: 'orders:read' }))
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ clientId: 'billing', scopes: ['orders:read'], iss: server.issuer })
  })

  it('guards every route of a Router mounted behind it', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const admin = framework.Router()
    admin.use(guard.require({ clients: ['ops-console'] }))
    admin.get('/jobs', (req, res) => {
      res.json({ clientId: req.auth.clientId })
    })
    const app = framework()
    app.get('/health', (_req, res) => {
      res.json({ ok: true })
    })
    app.use('/admin', admin)

    expect((await request(app).get('/health')).status).toBe(200)
    expect((await request(app).get('/admin/jobs')).status).toBe(401)
    const refused = await request(app)
      .get('/admin/jobs')
      .set('Authorization', await bearer({ client_id: 'billing' }))
    expect(refused.status).toBe(403)
    const allowed = await request(app)
      .get('/admin/jobs')
      .set('Authorization', await bearer({ client_id: 'ops-console' }))
    expect(allowed.body).toEqual({ clientId: 'ops-console' })
  })

  it('verifies once when guards of the same verifier are stacked; the second only checks', async () => {
    const { verifier, verifications } = countingVerifier(server)
    const guard = createGuard(verifier)
    const app = framework()
    app.use(guard.require())
    app.post('/orders', guard.require({ scopes: ['orders:write'] }), (_req, res) => {
      res.status(201).json({ created: true })
    })
    const response = await request(app)
      .post('/orders')
      .set('Authorization', await bearer({ scope: 'orders:read orders:write' }))
    expect(response.status).toBe(201)
    expect(verifications()).toBe(1)
  })

  it('verifies again a request authenticated by another verifier', async () => {
    const orders = countingVerifier(server)
    const invoices = countingVerifier(server, { audience: 'https://invoices.example' })
    const app = framework()
    app.get(
      '/invoices',
      createGuard(orders.verifier).require(),
      createGuard(invoices.verifier).require(),
      (req, res) => {
        res.json({ aud: req.auth.payload.aud })
      },
    )
    const forOrders = await request(app)
      .get('/invoices')
      .set('Authorization', await bearer())
    expect(forOrders.status).toBe(401)
    expect(forOrders.body.error_description).toBe('token is not meant for this audience')
    expect(invoices.verifications()).toBe(0)

    const forBoth = await request(app)
      .get('/invoices')
      .set('Authorization', await bearer({ aud: [AUDIENCE, 'https://invoices.example'] }))
    expect(forBoth.status).toBe(200)
    expect(invoices.verifications()).toBe(1)
  })

  it('passes a reused token from the cache; refuses it on a route it falls short of, and once expired', async () => {
    let now = Date.now()
    const { verifier, verifications } = countingVerifier(server, { tokenCache: 100, clock: () => now })
    const guard = createGuard(verifier)
    const seen: unknown[] = []
    const app = framework()
    app.get('/orders', guard.require({ scopes: ['orders:read'] }), (req, res) => {
      res.json({ clientId: req.auth.clientId })
    })
    app.get('/reports', guard.require({ scopes: ['reports:read'] }), (req, res) => {
      res.json({ clientId: req.auth.clientId })
    })
    app.get('/fails', guard.require({ scopes: ['orders:read'] }), () => {
      throw new Error('handler failed')
    })
    app.use(((err, _req, res, _next) => {
      seen.push(err)
      res.status(500).json({ error: 'internal' })
    }) as ErrorRequestHandler)
    const token = await bearer({
      client_id: 'billing',
      scope: 'orders:read',
      exp: Math.floor(now / 1000) + 60,
    })
    for (let call = 0; call < 3; call++) {
      const response = await request(app).get('/orders').set('Authorization', token)
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ clientId: 'billing' })
    }
    expect(verifications()).toBe(1)
    for (let call = 0; call < 2; call++) {
      expect((await request(app).get('/reports').set('Authorization', token)).status).toBe(403)
      expect((await request(app).get('/fails').set('Authorization', token)).status).toBe(500)
    }
    expect(seen).toHaveLength(2)
    now += 120_000
    const expired = await request(app).get('/orders').set('Authorization', token)
    expect(expired.status).toBe(401)
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/)
  })

  it("with onError: 'next', hands the AuthError to the app's error handler", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'next' })
    const seen: unknown[] = []
    const problem: ErrorRequestHandler = (err, _req, res, next) => {
      seen.push(err)
      if (!(err instanceof AuthError)) return next(err)
      res
        .status(err.status)
        .set(err.headers)
        .type('application/problem+json')
        .json({
          type: `https://errors.example/${err.reason}`,
          status: err.status,
          detail: err.description,
        })
    }
    const app = framework()
    app.get('/orders', guard.require({ scopes: ['orders:read'] }), (_req, res) => {
      res.json({ ok: true })
    })
    app.use(problem)

    const response = await request(app)
      .get('/orders')
      .set('Authorization', await bearer({ scope: 'reports:read' }))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(AuthError)
    expect(response.status).toBe(403)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"',
    )
    expect(response.body).toEqual({
      type: 'https://errors.example/insufficient_scope',
      status: 403,
      detail: 'missing required scope: orders:read',
    })
  })

  it("with onError: 'next' and no error handler of yours, Express's own keeps the status and challenge", async () => {
    const guard = createGuard({ verifier: countingVerifier(server).verifier, onError: 'next' })
    const app = framework()
    app.get('/orders', guard.require(), (_req, res) => {
      res.json({ ok: true })
    })
    const response = await request(app).get('/orders')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
  })

  it('passes an unexpected error to next(err), even by default', async () => {
    const failure = new Error('verifier crashed')
    const broken = { authorize: () => Promise.reject(failure), owns: () => false } as unknown as Verifier
    const seen: unknown[] = []
    const app = framework()
    app.get('/orders', createGuard(broken).require(), (_req, res) => {
      res.json({ ok: true })
    })
    app.use(((err, _req, res, _next) => {
      seen.push(err)
      res.status(500).json({ error: 'internal' })
    }) as ErrorRequestHandler)
    const response = await request(app).get('/orders').set('Authorization', 'Bearer x.y.z')
    expect(response.status).toBe(500)
    expect(seen).toEqual([failure])
  })

  it('writes nothing and runs no handler when something else answered while the token was verified', async () => {
    // An issuer whose keys come slowly (then a success) or never (then a 503 after the timeout).
    const issuer = await createAuthServer({ audience: AUDIENCE })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      for (const [fault, outcome] of [
        ['slow', 'token_verified'],
        ['hang', 'token_rejected'],
      ] as const) {
        issuer.setFault('jwks', fault, { delayMs: 300 })
        const settled: string[] = []
        const guard = createGuard({
          issuer: issuer.issuer,
          audience: AUDIENCE,
          jwksCache: { timeout: 600 },
          onEvent: (event) => settled.push(event.type),
        })
        let ran = 0
        const app = framework()
        app.get(
          '/orders',
          (_req, res, next) => {
            // A request timeout, as connect-timeout with an error handler would answer.
            setTimeout(() => res.headersSent || res.status(503).json({ error: 'timeout' }), 30)
            next()
          },
          guard.require(),
          (_req, res) => {
            ran++
            res.json({ ok: true })
          },
        )
        const response = await request(app)
          .get('/orders')
          .set('Authorization', `Bearer ${await issuer.mint({})}`)
        expect(response.status).toBe(503)
        expect(response.body).toEqual({ error: 'timeout' })
        await vi.waitFor(() => expect(settled).toContain(outcome), { timeout: 3_000, interval: 20 })
        await new Promise((resolve) => setImmediate(resolve))
        expect(ran, 'the handler must not run').toBe(0)
      }
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await issuer.close()
    }
  })

  it('lets an error thrown by a later handler reach the error handler once, untouched', async () => {
    const guard = createGuard(countingVerifier(server).verifier)
    const seen: unknown[] = []
    const app = framework()
    app.get('/orders', guard.require(), () => {
      throw new Error('handler failed')
    })
    app.use(((err, _req, res, _next) => {
      seen.push(err)
      res.status(500).json({ error: 'internal' })
    }) as ErrorRequestHandler)
    const response = await request(app)
      .get('/orders')
      .set('Authorization', await bearer())
    expect(response.status).toBe(500)
    expect(seen).toHaveLength(1)
    expect((seen[0] as Error).message).toBe('handler failed')
  })
})
