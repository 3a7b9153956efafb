/**
 * A small service on Express, Koa and Fastify whose routes answer with who called:
 * `{ issuer, clientId, scopes }` of the verified token. For tests of several issuers
 * and provider-shaped tokens, where the issuer matters as much as the client.
 */
import Router from '@koa/router'
import type { AuthResult, Requirement, Verifier } from '@m2m-guard/core'
import { createGuard as createExpressGuard } from '@m2m-guard/express'
import m2mGuard from '@m2m-guard/fastify'
import { createGuard as createKoaGuard } from '@m2m-guard/koa'
import express from 'express'
import fastify from 'fastify'
import Koa from 'koa'
import { listen, type Service } from './services.js'

/** Route → its requirement (`undefined`: authenticate only). */
export type IssuerRoutes = Record<string, Requirement | undefined>

export interface IssuerServiceTarget {
  readonly name: 'express' | 'koa' | 'fastify'
  start(verifier: Verifier, routes: IssuerRoutes): Promise<Service>
}

/** What every route answers: who called, as the verifier read the token. */
export const whoCalled = (auth: AuthResult) => ({
  issuer: auth.issuer,
  clientId: auth.clientId,
  scopes: auth.scopes,
})

export const ISSUER_SERVICES: readonly IssuerServiceTarget[] = [
  {
    name: 'express',
    start: (verifier, routes) => {
      const calls: string[] = []
      const guard = createExpressGuard(verifier)
      const app = express()
      for (const [path, requirement] of Object.entries(routes)) {
        app.get(path, guard.require(requirement), (req, res) => {
          calls.push(req.path)
          res.json(whoCalled(req.auth))
        })
      }
      return listen(app, calls)
    },
  },
  {
    name: 'koa',
    start: (verifier, routes) => {
      const calls: string[] = []
      const guard = createKoaGuard(verifier)
      const router = new Router()
      for (const [path, requirement] of Object.entries(routes)) {
        router.get(path, guard.require(requirement), (ctx) => {
          calls.push(ctx.path)
          ctx.body = whoCalled(ctx.state.auth)
        })
      }
      const app = new Koa()
      app.use(router.routes())
      return listen(app.callback(), calls)
    },
  },
  {
    name: 'fastify',
    start: async (verifier, routes) => {
      const calls: string[] = []
      const app = fastify()
      await app.register(m2mGuard, { verifier })
      for (const [path, requirement] of Object.entries(routes)) {
        app.get(path, { onRequest: app.m2mGuard.require(requirement) }, async (request) => {
          calls.push(request.url)
          return whoCalled(request.auth)
        })
      }
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      return { url, calls, close: () => app.close() }
    },
  },
]
