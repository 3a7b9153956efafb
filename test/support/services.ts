/**
 * The same small service on every adapter and major: identical routes and
 * requirements, each listening on 127.0.0.1:0. Every handler records that it
 * ran, so a scenario can prove that a refused request never reached it.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import type { Requirement, Verifier } from '@m2m-guard/core'
import { createGuard as createExpressGuard } from '@m2m-guard/express'
import m2mGuard, { createGuard as createFastifyGuard } from '@m2m-guard/fastify'
import { createGuard as createKoaGuard } from '@m2m-guard/koa'
import express from 'express'
import express4 from 'express4'
import fastify from 'fastify'
import fastify4 from 'fastify4'
import Koa from 'koa'
import Koa2 from 'koa2'

export type Adapter = 'express' | 'koa' | 'fastify'

/** The verifiers a service is built with: `main`, and `cold`, whose issuer cannot be reached. */
export interface Verifiers {
  main: Verifier
  cold: Verifier
}

export interface Service {
  readonly url: string
  /** Paths whose handler ran, in order. */
  readonly calls: string[]
  close(): Promise<void>
}

export interface Target {
  readonly name: string
  readonly adapter: Adapter
  start(verifiers: Verifiers): Promise<Service>
}

/** Route → its guards' requirements, in the order they run (`undefined`: authenticate only). */
export const ROUTES: Record<string, Array<Requirement | undefined>> = {
  '/orders': [{ scopes: ['orders:read'] }],
  '/reports': [{ anyScopes: ['reports:read', 'reports:admin'] }],
  '/admin': [{ clients: ['ops-console'] }],
  '/me': [undefined],
  '/stacked': [undefined, { scopes: ['orders:write'] }],
}
/** Declared in the route's options (Fastify's `config.m2m`), not by a hook. */
export const DECLARED: Requirement = { scopes: ['orders:read'], clients: ['billing'] }

const answer = (auth: { clientId: string | undefined; scopes: readonly string[] }) => ({
  clientId: auth.clientId,
  scopes: auth.scopes,
})

function expressService(app: typeof express, { main, cold }: Verifiers): Promise<Service> {
  const calls: string[] = []
  const guard = createExpressGuard(main)
  const router = app.Router()
  for (const [path, requirements] of Object.entries(ROUTES)) {
    router.get(path, ...requirements.map((requirement) => guard.require(requirement)), (req, res) => {
      calls.push(req.path)
      res.json(answer(req.auth))
    })
  }
  router.get('/cold', createExpressGuard(cold).require(), (req, res) => {
    calls.push(req.path)
    res.json(answer(req.auth))
  })
  const server = app()
  server.use(router)
  return listen(server, calls)
}

function koaService(App: typeof Koa, { main, cold }: Verifiers): Promise<Service> {
  const calls: string[] = []
  const guard = createKoaGuard(main)
  const router = new Router()
  for (const [path, requirements] of Object.entries(ROUTES)) {
    router.get(path, ...requirements.map((requirement) => guard.require(requirement)), (ctx) => {
      calls.push(ctx.path)
      ctx.body = answer(ctx.state.auth)
    })
  }
  router.get('/cold', createKoaGuard(cold).require(), (ctx) => {
    calls.push(ctx.path)
    ctx.body = answer(ctx.state.auth)
  })
  const app = new App()
  app.use(router.routes()).use(router.allowedMethods())
  return listen(app.callback(), calls)
}

async function fastifyService(create: typeof fastify, { main, cold }: Verifiers): Promise<Service> {
  const calls: string[] = []
  const app = create()
  await app.register(m2mGuard, { verifier: main })
  for (const [path, requirements] of Object.entries(ROUTES)) {
    const onRequest = requirements.map((requirement) => app.m2mGuard.require(requirement))
    app.get(path, { onRequest }, async (request) => {
      calls.push(request.url)
      return answer(request.auth)
    })
  }
  app.get('/cold', { onRequest: createFastifyGuard(cold).require() }, async (request) => {
    calls.push(request.url)
    return answer(request.auth)
  })
  app.get('/declared', { config: { m2m: DECLARED } }, async (request) => {
    calls.push(request.url)
    return answer(request.auth)
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, calls, close: () => app.close() }
}

async function listen(handler: RequestListener, calls: string[]): Promise<Service> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

const version = (name: string): string => createRequire(import.meta.url)(`${name}/package.json`).version

/** Every adapter on every supported major; names carry the installed version. */
export const TARGETS: Target[] = [
  { name: `express ${version('express')}`, adapter: 'express', start: (v) => expressService(express, v) },
  { name: `express ${version('express4')}`, adapter: 'express', start: (v) => expressService(express4, v) },
  { name: `koa ${version('koa')}`, adapter: 'koa', start: (v) => koaService(Koa, v) },
  { name: `koa ${version('koa2')}`, adapter: 'koa', start: (v) => koaService(Koa2, v) },
  { name: `fastify ${version('fastify')}`, adapter: 'fastify', start: (v) => fastifyService(fastify, v) },
  {
    name: `fastify ${version('fastify4')}`,
    adapter: 'fastify',
    // fastify4 carries Fastify 4's own types; the adapter's declaration merging augments `fastify`.
    start: (v) => fastifyService(fastify4 as unknown as typeof fastify, v),
  },
]
