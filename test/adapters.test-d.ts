/**
 * The three adapters' public types, imported together as a service that
 * mounts more than one framework would: their declaration merging must not
 * collide, and one Requirement and AuthResult serve all of them.
 */
import Router from '@koa/router'
import type { AuthResult, Requirement } from '@m2m-guard/core'
import * as forExpress from '@m2m-guard/express'
import m2mGuard, * as forFastify from '@m2m-guard/fastify'
import * as forKoa from '@m2m-guard/koa'
import express from 'express'
import fastify from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'

const options = { issuer: 'https://auth.example', audience: 'https://orders.example' }

describe('adapter types', () => {
  it('types req.auth, ctx.state.auth and request.auth as AuthResult', async () => {
    const app = express()
    app.get('/orders', forExpress.createGuard(options).require({ scopes: ['orders:read'] }), (req) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthResult>()
    })

    const router = new Router()
    router.get('/orders', forKoa.createGuard(options).require({ scopes: ['orders:read'] }), (ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthResult>()
    })

    const server = fastify()
    await server.register(m2mGuard, options)
    server.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthResult>()
    })
  })

  it("shares core's Requirement, AuthResult and AuthError", () => {
    expectTypeOf<forExpress.Requirement>().toEqualTypeOf<Requirement>()
    expectTypeOf<forKoa.Requirement>().toEqualTypeOf<Requirement>()
    expectTypeOf<forFastify.Requirement>().toEqualTypeOf<Requirement>()
    expectTypeOf<forFastify.AuthResult>().toEqualTypeOf<AuthResult>()
    expectTypeOf(forExpress.AuthError).toEqualTypeOf(forKoa.AuthError)
    expectTypeOf(forKoa.AuthError).toEqualTypeOf(forFastify.AuthError)
  })

  it('refuses a wrong requirement shape in every adapter', () => {
    // @ts-expect-error the field is `scopes`
    forExpress.createGuard(options).require({ scope: 'x' })
    // @ts-expect-error scopes is a list
    forExpress.createGuard(options).require({ scopes: 'x' })
    // @ts-expect-error the field is `scopes`
    forKoa.createGuard(options).require({ scope: 'x' })
    // @ts-expect-error scopes is a list
    forKoa.createGuard(options).require({ scopes: 'x' })
    // @ts-expect-error the field is `scopes`
    forFastify.createGuard(options).require({ scope: 'x' })
    // @ts-expect-error scopes is a list
    forFastify.createGuard(options).require({ scopes: 'x' })
    // @ts-expect-error scopes is a list, in route config too
    fastify().get('/x', { config: { m2m: { scopes: 'x' } } }, async () => 'ok')
  })
})
