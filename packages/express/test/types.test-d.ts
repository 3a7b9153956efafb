import {
  type AuthResult,
  createGuard,
  type Guard,
  type GuardMiddleware,
  type GuardOptions,
  type Requirement,
  type Verifier,
} from '@m2m-guard/express'
import express from 'express'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier
const guard = createGuard({ issuer: 'https://auth.example', audience: 'https://orders.example' })

describe('@m2m-guard/express types', () => {
  it('types req.auth as AuthResult in handlers after the guard', () => {
    const app = express()
    app.get('/orders/:id', guard.require({ scopes: ['orders:read'] }), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthResult>()
      expectTypeOf(req.params).toEqualTypeOf<{ id: string }>()
      res.json(req.auth.clientId)
    })
    const router = express.Router()
    router.use(guard.require())
    router.post('/orders', (req) => {
      expectTypeOf(req.auth.scopes).toEqualTypeOf<readonly string[]>()
      expectTypeOf(req.auth.issuer).toEqualTypeOf<string>()
    })
  })

  it('serves RFC 9728 metadata as app-level middleware, and limits routes to issuers', () => {
    const app = express()
    app.use(guard.metadata())
    expectTypeOf(guard.metadata()).toEqualTypeOf<GuardMiddleware>()
    app.get('/refunds', guard.require({ issuers: ['https://auth.example'] }), (req, res) => {
      res.json(req.auth.issuer)
    })
  })

  it('fits routes with typed locals and bodies', () => {
    interface Locals {
      requestId: string
    }
    const app = express()
    app.post<
      '/orders/:id',
      { id: string },
      { created: boolean },
      { sku: string },
      Record<string, string>,
      Locals
    >('/orders/:id', guard.require({ scopes: ['orders:write'] }), (req, res) => {
      expectTypeOf(req.body.sku).toBeString()
      expectTypeOf(res.locals.requestId).toBeString()
      res.json({ created: true })
    })
  })

  it('returns Express middleware from require()', () => {
    expectTypeOf(guard).toEqualTypeOf<Guard>()
    expectTypeOf(guard.require).returns.toEqualTypeOf<GuardMiddleware>()
    expectTypeOf(guard.require).parameter(0).toEqualTypeOf<Requirement | undefined>()
  })

  it('accepts verifier options, a Verifier, or { verifier } with onError', () => {
    createGuard(verifier)
    createGuard({ verifier, onError: 'next' })
    createGuard({ issuer: 'https://auth.example', audience: ['a', 'b'], onError: 'respond' })
    expectTypeOf<{ verifier: Verifier }>().toExtend<GuardOptions>()
    // @ts-expect-error Express forwards with next(err), it does not throw
    createGuard({ verifier, onError: 'throw' })
    // @ts-expect-error audience is required
    createGuard({ issuer: 'https://auth.example' })
  })

  it('rejects a wrong requirement shape at compile time', () => {
    // @ts-expect-error the field is `scopes`
    guard.require({ scope: 'orders:read' })
    // @ts-expect-error scopes is a list
    guard.require({ scopes: 'orders:read' })
    // @ts-expect-error clients is a list of client ids
    guard.require({ clients: 'billing' })
  })
})
