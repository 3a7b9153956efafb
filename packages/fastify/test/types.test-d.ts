import m2mGuard, {
  type AuthResult,
  createGuard,
  type Guard,
  type GuardHook,
  type M2mGuardOptions,
  type Requirement,
  type Verifier,
} from '@m2m-guard/fastify'
import fastify, { type RouteShorthandOptions } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier
const app = fastify()

describe('@m2m-guard/fastify types', () => {
  it('types request.auth as AuthResult and app.m2mGuard as the guard', () => {
    expectTypeOf(app.m2mGuard).toEqualTypeOf<Guard>()
    app.get<{ Params: { id: string } }>(
      '/orders/:id',
      { onRequest: app.m2mGuard.require({ scopes: ['orders:read'] }) },
      async (request) => {
        expectTypeOf(request.auth).toEqualTypeOf<AuthResult>()
        expectTypeOf(request.params.id).toBeString()
        return request.auth.scopes
      },
    )
    app.get(
      '/reports',
      { preHandler: [app.m2mGuard.require(), app.m2mGuard.require({ anyScopes: ['a', 'b'] })] },
      async () => 'ok',
    )
  })

  it('types a requirement declared in route config', () => {
    app.get(
      '/invoices',
      { config: { m2m: { scopes: ['invoices:read'], clients: ['billing'] } } },
      async () => 'ok',
    )
    app.route({
      method: 'GET',
      url: '/x',
      config: { m2m: { anyScopes: ['x:read'] } },
      handler: async () => 'ok',
    })
    // @ts-expect-error the field is `scopes`
    const options: RouteShorthandOptions = { config: { m2m: { scope: 'x' } } }
    void options
    // Inline, Fastify infers the route's config type, so a misspelt field compiles there
    // (and fails at registration with a TypeError); a wrong type still does not compile.
    // @ts-expect-error scopes is a list
    app.get('/bad', { config: { m2m: { scopes: 'x' } } }, async () => 'ok')
  })

  it('takes verifier options or { verifier } as plugin options', async () => {
    await app.register(m2mGuard, { issuer: 'https://auth.example', audience: 'https://orders.example' })
    await app.register(m2mGuard, { verifier, onError: 'throw' })
    expectTypeOf<{ verifier: Verifier }>().toExtend<M2mGuardOptions>()
    // @ts-expect-error Fastify's convention is to throw to setErrorHandler
    const next: M2mGuardOptions = { verifier, onError: 'next' }
    void next
    // @ts-expect-error audience is required
    await app.register(m2mGuard, { issuer: 'https://auth.example' })
  })

  it('returns hooks from require(), for a guard of its own too', () => {
    expectTypeOf(createGuard(verifier).require).returns.toEqualTypeOf<GuardHook>()
    expectTypeOf(app.m2mGuard.require).parameter(0).toEqualTypeOf<Requirement | undefined>()
    // @ts-expect-error the field is `scopes`
    app.m2mGuard.require({ scope: 'x' })
    // @ts-expect-error clients is a list
    createGuard(verifier).require({ clients: 'billing' })
  })
})
