/**
 * The same small service on every adapter and major: identical routes and
 * requirements, each listening on 127.0.0.1:0. Every handler records that it
 * ran, so a scenario can prove that a refused request never reached it.
 */
import { readFileSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import Router from '@koa/router'
import type { AuthResult, Requirement, Verifier } from '@m2m-guard/core'
import { createGuard as createExpressGuard } from '@m2m-guard/express'
import m2mGuard, { createGuard as createFastifyGuard } from '@m2m-guard/fastify'
import { createGuard as createFetchGuard, type FetchHandler } from '@m2m-guard/fetch'
import { type AuthEnv, createGuard as createHonoGuard } from '@m2m-guard/hono'
import { createGuard as createKoaGuard } from '@m2m-guard/koa'
import express from 'express'
import express4 from 'express4'
import fastify, { type FastifyHttpOptions } from 'fastify'
import fastify4 from 'fastify4'
import { Hono } from 'hono'
import Koa from 'koa'
import Koa2 from 'koa2'
import { type NestPlatform, nestService } from './nestjs.js'

export type Adapter = 'express' | 'koa' | 'fastify' | 'fetch' | 'hono' | 'nestjs'

/** The verifiers a service is built with: `main`, and `cold`, whose issuer cannot be reached. */
export interface Verifiers {
  main: Verifier
  cold: Verifier
  /** Sender-constrained routes (Express, Koa, Fastify): see {@link BOUND_ROUTES}. */
  bound?: Partial<Record<BoundRoute, Verifier>>
}

/** Routes guarded by a verifier with `dpop` or `mtls`, each requiring `orders:read`. */
export type BoundRoute =
  | '/dpop'
  | '/dpop-required'
  | '/dpop-nonce'
  | '/dpop-nonce-later'
  | '/mtls'
  | '/mtls-socket'
export const BOUND_REQUIREMENT: Requirement = { scopes: ['orders:read'] }

function boundRoutes(verifiers: Verifiers): Array<[string, Verifier]> {
  return Object.entries(verifiers.bound ?? {}).filter(
    (entry): entry is [string, Verifier] => entry[1] !== undefined,
  )
}

export interface Service {
  readonly url: string
  /** Paths whose handler ran, in order. */
  readonly calls: string[]
  close(): Promise<void>
}

/** How a service listens: HTTPS asking for client certificates, and the framework's trust-proxy setting. */
export interface ServiceOptions {
  /** Serve HTTPS with these `tls.createServer` options (e.g. `requestCert`). */
  readonly tls?: {
    key: string
    cert: string
    ca?: string
    requestCert?: boolean
    rejectUnauthorized?: boolean
  }
  /** Express `trust proxy`, Koa `app.proxy`, Fastify `trustProxy`: off unless set. */
  readonly trustProxy?: boolean
}

export interface Target {
  readonly name: string
  readonly adapter: Adapter
  start(verifiers: Verifiers, options?: ServiceOptions): Promise<Service>
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

function expressService(
  app: typeof express,
  verifiers: Verifiers,
  options: ServiceOptions = {},
): Promise<Service> {
  const { main, cold } = verifiers
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
  for (const [path, verifier] of boundRoutes(verifiers)) {
    for (const method of ['get', 'post'] as const) {
      router[method](path, createExpressGuard(verifier).require(BOUND_REQUIREMENT), (req, res) => {
        calls.push(req.path)
        res.json(answer(req.auth))
      })
    }
  }
  const server = app()
  if (options.trustProxy === true) server.set('trust proxy', true)
  server.use(router)
  return listen(server, calls, options)
}

function koaService(App: typeof Koa, verifiers: Verifiers, options: ServiceOptions = {}): Promise<Service> {
  const { main, cold } = verifiers
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
  for (const [path, verifier] of boundRoutes(verifiers)) {
    for (const method of ['get', 'post'] as const) {
      router[method](path, createKoaGuard(verifier).require(BOUND_REQUIREMENT), (ctx) => {
        calls.push(ctx.path)
        ctx.body = answer(ctx.state.auth)
      })
    }
  }
  const app = new App()
  app.proxy = options.trustProxy === true
  app.use(router.routes()).use(router.allowedMethods())
  return listen(app.callback(), calls, options)
}

async function fastifyService(
  create: typeof fastify,
  verifiers: Verifiers,
  options: ServiceOptions = {},
): Promise<Service> {
  const { main, cold } = verifiers
  const calls: string[] = []
  // Typed as the plain HTTP variant: the routes and hooks are the same over HTTPS.
  const app = create({
    trustProxy: options.trustProxy === true,
    ...(options.tls === undefined ? {} : { https: options.tls }),
  } as FastifyHttpOptions<Server>)
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
  for (const [path, verifier] of boundRoutes(verifiers)) {
    const onRequest = createFastifyGuard(verifier).require(BOUND_REQUIREMENT)
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url: path,
        onRequest,
        handler: async (request) => {
          calls.push(request.url)
          return answer(request.auth)
        },
      })
    }
  }
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, calls, close: () => app.close() }
}

/** Plain fetch handlers, one per route; stacked requirements nest `protect`. */
function fetchService(verifiers: Verifiers, options: ServiceOptions = {}): Promise<Service> {
  const { main, cold } = verifiers
  const calls: string[] = []
  const guard = createFetchGuard(main)
  const handler = (request: Request, auth: AuthResult) => {
    calls.push(new URL(request.url).pathname)
    return Response.json(answer(auth))
  }
  const routes = new Map<string, FetchHandler>()
  for (const [path, requirements] of Object.entries(ROUTES)) {
    // Each guard but the last wraps the next one's handler: the same request passes every requirement.
    const last = guard.protect(requirements.at(-1), handler)
    const route = requirements
      .slice(0, -1)
      .reduceRight<FetchHandler>(
        (inner, requirement) => guard.protect(requirement, (request) => inner(request)),
        last,
      )
    routes.set(path, route)
  }
  routes.set('/cold', createFetchGuard(cold).protect(handler))
  for (const [path, verifier] of boundRoutes(verifiers)) {
    routes.set(path, createFetchGuard(verifier).protect(BOUND_REQUIREMENT, handler))
  }
  const fetch = async (request: Request) =>
    (await routes.get(new URL(request.url).pathname)?.(request)) ?? new Response('not found', { status: 404 })
  return listen(getRequestListener(fetch), calls, options)
}

function honoService(verifiers: Verifiers, options: ServiceOptions = {}): Promise<Service> {
  const { main, cold } = verifiers
  const calls: string[] = []
  const guard = createHonoGuard(main)
  const app = new Hono<AuthEnv>()
  for (const [path, requirements] of Object.entries(ROUTES)) {
    for (const requirement of requirements) app.use(path, guard.require(requirement))
    app.get(path, (c) => {
      calls.push(c.req.path)
      return c.json(answer(c.var.auth))
    })
  }
  app.get('/cold', createHonoGuard(cold).require(), (c) => {
    calls.push(c.req.path)
    return c.json(answer(c.var.auth))
  })
  for (const [path, verifier] of boundRoutes(verifiers)) {
    app.on(['GET', 'POST'], path, createHonoGuard(verifier).require(BOUND_REQUIREMENT), (c) => {
      calls.push(c.req.path)
      return c.json(answer(c.var.auth))
    })
  }
  return listen(getRequestListener(app.fetch), calls, options)
}

async function nestjsService(
  platform: NestPlatform,
  verifiers: Verifiers,
  options: ServiceOptions = {},
): Promise<Service> {
  const calls: string[] = []
  const nest = await nestService(platform, verifiers, { calls, answer }, options)
  const service = await listen(nest.listener, calls, options)
  return { ...service, close: () => service.close().then(nest.close) }
}

/** Serves `handler` on 127.0.0.1:0 (HTTPS with `options.tls`); `close()` ends open connections too. */
export async function listen(
  handler: RequestListener,
  calls: string[],
  options: ServiceOptions = {},
): Promise<Service> {
  const server: Server =
    options.tls === undefined
      ? createServer(handler)
      : (createHttpsServer(options.tls, handler) as unknown as Server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    calls,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}

const require = createRequire(import.meta.url)
const version = (name: string): string => require(`${name}/package.json`).version
/** For packages whose `exports` keep package.json private (Hono): found above the entry point. */
function unexportedVersion(name: string): string {
  const entry = require.resolve(name)
  const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length)
  return JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version
}

/** Every adapter on every supported major; names carry the installed version. */
export const TARGETS: Target[] = [
  {
    name: `express ${version('express')}`,
    adapter: 'express',
    start: (v, o) => expressService(express, v, o),
  },
  {
    name: `express ${version('express4')}`,
    adapter: 'express',
    start: (v, o) => expressService(express4, v, o),
  },
  { name: `koa ${version('koa')}`, adapter: 'koa', start: (v, o) => koaService(Koa, v, o) },
  { name: `koa ${version('koa2')}`, adapter: 'koa', start: (v, o) => koaService(Koa2, v, o) },
  {
    name: `fastify ${version('fastify')}`,
    adapter: 'fastify',
    start: (v, o) => fastifyService(fastify, v, o),
  },
  {
    name: `fastify ${version('fastify4')}`,
    adapter: 'fastify',
    // fastify4 carries Fastify 4's own types; the adapter's declaration merging augments `fastify`.
    start: (v, o) => fastifyService(fastify4 as unknown as typeof fastify, v, o),
  },
  { name: 'fetch gate on Node', adapter: 'fetch', start: fetchService },
  { name: `hono ${unexportedVersion('hono')}`, adapter: 'hono', start: honoService },
  {
    name: `nestjs ${version('@nestjs/core')} express`,
    adapter: 'nestjs',
    start: (v, o) => nestjsService('express', v, o),
  },
  {
    name: `nestjs ${version('@nestjs/core')} fastify`,
    adapter: 'nestjs',
    start: (v, o) => nestjsService('fastify', v, o),
  },
]
