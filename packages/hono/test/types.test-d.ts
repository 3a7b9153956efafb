import { type AuthEnv, type AuthResult, createGuard, type Guard, type Verifier } from '@m2m-guard/hono'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier
const guard = createGuard({ issuer: 'https://auth.example', audience: 'https://orders.example' })

describe('@m2m-guard/hono types', () => {
  it('types c.var.auth as AuthResult in the handlers after the guard', () => {
    const app = new Hono()
    app.get('/orders/:id', guard.require({ scopes: ['orders:read'] }), (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthResult>()
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthResult>()
      expectTypeOf(c.req.param('id')).toEqualTypeOf<string>()
      return c.json({ client: c.var.auth.clientId })
    })
  })

  it("keeps the app's own bindings and variables beside auth", () => {
    const app = new Hono<{ Bindings: { ORDERS_URL: string }; Variables: { requestId: string } }>()
    app.get('/orders', guard.require(), (c) => {
      expectTypeOf(c.env.ORDERS_URL).toEqualTypeOf<string>()
      expectTypeOf(c.var.requestId).toEqualTypeOf<string>()
      expectTypeOf(c.var.auth.scopes).toEqualTypeOf<readonly string[]>()
      return c.text('ok')
    })
  })

  it('types c.var.auth app-wide through AuthEnv, and not in an app without a guard', () => {
    const app = new Hono<AuthEnv>()
    app.use('/orders/*', guard.require())
    app.get('/orders', (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthResult>()
      return c.text('ok')
    })
    new Hono().get('/open', (c) => {
      // @ts-expect-error no guard, no auth variable
      c.var.auth
      return c.text('ok')
    })
  })

  it('returns Hono middleware and takes the same options as the other adapters', () => {
    expectTypeOf(guard).toEqualTypeOf<Guard>()
    expectTypeOf(guard.require()).toEqualTypeOf<MiddlewareHandler<AuthEnv>>()
    expectTypeOf(guard.metadata()).toExtend<MiddlewareHandler>()
    expectTypeOf(guard.metadata().path).toEqualTypeOf<string>()
    new Hono().get(guard.metadata().path, guard.metadata())
    createGuard(verifier)
    createGuard({ verifier, onError: 'throw' })
    // @ts-expect-error Hono has no next(err)
    createGuard({ verifier, onError: 'next' })
    // @ts-expect-error clients is a list of client ids
    guard.require({ clients: 'billing' })
  })
})
