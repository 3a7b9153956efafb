import Router from '@koa/router'
import {
  type AuthResult,
  createGuard,
  type Guard,
  type GuardOptions,
  type Requirement,
  type Verifier,
} from '@m2m-guard/koa'
import Koa, { type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier
const guard = createGuard({ issuer: 'https://auth.example', audience: 'https://orders.example' })

describe('@m2m-guard/koa types', () => {
  it('types ctx.state.auth as AuthResult, in routers and in plain middleware', () => {
    const router = new Router()
    router.get('/orders/:id', guard.require({ scopes: ['orders:read'] }), (ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthResult>()
      // As on a route without a guard: the router's own typing is untouched.
      expectTypeOf(ctx.params.id).toEqualTypeOf<string | undefined>()
      ctx.body = { client: ctx.state.auth.clientId }
    })
    const app = new Koa()
    app.use(guard.require()).use(router.routes())
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth.scopes).toEqualTypeOf<readonly string[]>()
    })
  })

  it('returns Koa middleware from require()', () => {
    expectTypeOf(guard).toEqualTypeOf<Guard>()
    expectTypeOf(guard.require).returns.toEqualTypeOf<Middleware>()
    expectTypeOf(guard.require).parameter(0).toEqualTypeOf<Requirement | undefined>()
  })

  it('accepts verifier options, a Verifier, or { verifier } with onError', () => {
    createGuard(verifier)
    createGuard({ verifier, onError: 'throw' })
    createGuard({ issuer: 'https://auth.example', audience: 'https://orders.example', onError: 'respond' })
    expectTypeOf<{ verifier: Verifier }>().toExtend<GuardOptions>()
    // @ts-expect-error Koa's convention is to throw, not to call next(err)
    createGuard({ verifier, onError: 'next' })
  })

  it('rejects a wrong requirement shape at compile time', () => {
    // @ts-expect-error the field is `scopes`
    guard.require({ scope: 'orders:read' })
    // @ts-expect-error scopes is a list
    guard.require({ scopes: 'orders:read' })
    // @ts-expect-error anyScopes is a list
    guard.require({ anyScopes: 'orders:read' })
  })
})
