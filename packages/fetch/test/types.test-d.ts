import {
  type AuthError,
  type AuthResult,
  createGuard,
  type FetchHandler,
  type Guard,
  type GuardedHandler,
  type GuardOptions,
  type MetadataHandler,
  type Requirement,
  type Verifier,
} from '@m2m-guard/fetch'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier
const guard = createGuard({ issuer: 'https://auth.example', audience: 'https://orders.example' })

interface Env {
  ORDERS: { get(key: string): Promise<string | null> }
}
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

describe('@m2m-guard/fetch types', () => {
  it('gives the handler the request and an AuthResult', () => {
    const fetch = guard.protect({ scopes: ['orders:read'] }, (request, auth) => {
      expectTypeOf(request).toEqualTypeOf<Request>()
      expectTypeOf(auth).toEqualTypeOf<AuthResult>()
      expectTypeOf(auth.clientId).toEqualTypeOf<string | undefined>()
      return Response.json(auth.scopes)
    })
    expectTypeOf(fetch).toEqualTypeOf<FetchHandler>()
    expectTypeOf(fetch).toEqualTypeOf<(request: Request) => Promise<Response>>()
  })

  it("passes the runtime's further arguments through, typed (a Worker's env and ctx)", () => {
    const worker = {
      fetch: guard.protect<[Env, ExecutionContext]>(
        { clients: ['billing'] },
        async (_request, auth, env, ctx) => {
          expectTypeOf(env).toEqualTypeOf<Env>()
          ctx.waitUntil(Promise.resolve())
          return new Response(await env.ORDERS.get(auth.clientId ?? ''))
        },
      ),
    }
    expectTypeOf(worker.fetch).parameters.toEqualTypeOf<[Request, Env, ExecutionContext]>()
    expectTypeOf(worker.fetch).returns.toEqualTypeOf<Promise<Response>>()
  })

  it('authenticates only with a handler alone; the handler may answer synchronously', () => {
    const handler: GuardedHandler = (_request, auth) => new Response(auth.token)
    expectTypeOf(guard.protect(handler)).toEqualTypeOf<FetchHandler>()
    // @ts-expect-error a handler answers with a Response
    guard.protect(() => 'ok')
  })

  it('types authenticate and respond', () => {
    expectTypeOf(guard.authenticate).parameters.toEqualTypeOf<[Request, (Requirement | undefined)?]>()
    expectTypeOf(guard.authenticate).returns.toEqualTypeOf<Promise<AuthResult>>()
    expectTypeOf(guard.respond).toEqualTypeOf<(error: AuthError) => Response>()
    expectTypeOf(guard).toEqualTypeOf<Guard>()
    expectTypeOf(guard.metadata()).toEqualTypeOf<MetadataHandler>()
    expectTypeOf(guard.metadata()).toExtend<(request: Request) => Response>()
    expectTypeOf(guard.metadata().path).toEqualTypeOf<string>()
  })

  it('accepts verifier options, a Verifier, or { verifier } with onError', () => {
    createGuard(verifier)
    createGuard({ verifier, onError: 'throw' })
    expectTypeOf<{ verifier: Verifier; onError: 'respond' }>().toExtend<GuardOptions>()
    // @ts-expect-error there is no next() to forward to
    createGuard({ verifier, onError: 'next' })
    // @ts-expect-error the field is `scopes`
    guard.protect({ scope: 'orders:read' }, () => new Response())
  })
})
