/**
 * One server of the HTTP suite, in its own process: a framework with one
 * route, GET /orders, bare, behind m2m-guard or a peer middleware (each
 * requiring the `orders:read` scope), or (Express's controls) behind a
 * middleware that checks nothing. Listens on 127.0.0.1:0 and reports its
 * port over IPC; the parent drives it with autocannon. The variants:
 * http-variants.ts.
 */
import diagnostics from 'node:diagnostics_channel'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CHANNELS } from '@m2m-guard/core/observe'
import type { RequestHandler } from 'express'
import type Koa from 'koa'
import { requireScope } from './contenders.js'
import { AUDIENCE, SCOPE } from './fixtures.js'
import { type Framework, isOurs, OURS_10K_CACHED, OURS_NEW_TOKENS } from './http-variants.js'

// Each server imports only its framework and middleware (imported below, on demand):
// the children start faster, and none carries a peer it does not run.

export interface ServerSpec {
  framework: Framework
  /** `bare`, a control, an m2m-guard variant, or a peer's id (http-variants.ts). */
  variant: string
  issuer: string
  jwksUri: string
  alg: string
  /** m2m-guard's token cache size (plain and new-token variants); the parent sizes it to the workload. */
  tokenCache?: number | undefined
}

const requirement = { scopes: [SCOPE] }

/** The guard options of an m2m-guard variant: the plain options, or a verifier with the variant's feature. */
async function guardOptions(spec: ServerSpec) {
  const options = { issuer: spec.issuer, audience: AUDIENCE, jwksUri: spec.jwksUri }
  if (spec.variant === 'm2m-guard' || spec.variant === OURS_10K_CACHED || spec.variant === OURS_NEW_TOKENS)
    return { ...options, tokenCache: spec.tokenCache }
  if (spec.variant === 'm2m-guard-usage') return { ...options, usage: true }
  if (spec.variant !== 'm2m-guard-otel') throw new Error(`unknown m2m-guard variant ${spec.variant}`)
  const [{ createVerifier }, { instrument }, { recordingMeterProvider }] = await Promise.all([
    import('@m2m-guard/core'),
    import('@m2m-guard/otel'),
    import('./otel-provider.js'),
  ])
  const verifier = createVerifier(options)
  instrument(verifier, { meterProvider: recordingMeterProvider() })
  return { verifier }
}

/** What the async control sets, like a guard's `req.auth` (one object, allocated once). */
const FIXED = { clientId: 'billing' }

async function expressChain(spec: ServerSpec): Promise<RequestHandler[]> {
  if (spec.variant === 'bare') return []
  // The controls: what Express charges any middleware, and one that answers a tick later with req.auth set.
  if (spec.variant === 'bare-noop') return [(_req, _res, next) => next()]
  if (spec.variant === 'bare-async-auth')
    return [
      (req, _res, next) => {
        Promise.resolve().then(() => {
          ;(req as { auth?: unknown }).auth = FIXED
          next()
        })
      },
    ]
  if (isOurs(spec.variant)) {
    const { createGuard } = await import('@m2m-guard/express')
    return [createGuard(await guardOptions(spec)).require(requirement)]
  }
  if (spec.variant === 'express-oauth2-jwt-bearer') {
    const { auth, requiredScopes } = await import('express-oauth2-jwt-bearer')
    return [
      auth({ issuer: spec.issuer, audience: AUDIENCE, jwksUri: spec.jwksUri, tokenSigningAlg: spec.alg }),
      requiredScopes(SCOPE),
    ]
  }
  if (spec.variant === 'express-jwt') {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    const jwt = expressjwt({
      secret: jwksRsa.expressJwtSecret({ jwksUri: spec.jwksUri, cache: true }) as never,
      algorithms: [spec.alg as 'RS256'],
      issuer: spec.issuer,
      audience: AUDIENCE,
    }) as unknown as RequestHandler
    return [
      jwt,
      (req, _res, next) => {
        requireScope((req as { auth?: unknown }).auth)
        next()
      },
    ]
  }
  throw new Error(`unknown express variant ${spec.variant}`)
}

async function expressApp(spec: ServerSpec) {
  const { default: express } = await import('express')
  const app = express()
  app.get('/orders', ...(await expressChain(spec)), (req, res) => {
    res.json({ orders: [], client: (req as { auth?: { clientId?: string } }).auth?.clientId ?? null })
  })
  return app
}

async function koaApp(spec: ServerSpec) {
  const { default: Koa } = await import('koa')
  const { default: Router } = await import('@koa/router')
  const app = new Koa()
  const router = new Router()
  const handler: Koa.Middleware = (ctx) => {
    ctx.body = { orders: [], client: (ctx.state.auth as { clientId?: string } | undefined)?.clientId ?? null }
  }
  if (spec.variant === 'bare') router.get('/orders', handler)
  else if (isOurs(spec.variant)) {
    const { createGuard } = await import('@m2m-guard/koa')
    const guard = createGuard(await guardOptions(spec))
    router.get('/orders', guard.require(requirement) as Koa.Middleware, handler)
  } else if (spec.variant === 'koa-jwt') {
    const { default: koaJwt } = await import('koa-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    const jwt = koaJwt({
      secret: jwksRsa.koaJwtSecret({ jwksUri: spec.jwksUri, cache: true }) as never,
      algorithms: [spec.alg],
      issuer: spec.issuer,
      audience: AUDIENCE,
    })
    const scope: Koa.Middleware = (ctx, next) => {
      requireScope(ctx.state.user)
      return next()
    }
    router.get('/orders', jwt as Koa.Middleware, scope, handler)
  } else throw new Error(`unknown koa variant ${spec.variant}`)
  app.use(router.routes())
  return app.callback()
}

async function fastifyApp(spec: ServerSpec) {
  const { default: Fastify } = await import('fastify')
  const app = Fastify()
  const reply = async (request: unknown) => ({
    orders: [],
    client: (request as { auth?: { clientId?: string } | null }).auth?.clientId ?? null,
  })
  if (spec.variant === 'bare') app.get('/orders', reply)
  else if (isOurs(spec.variant)) {
    const { default: m2mGuard } = await import('@m2m-guard/fastify')
    await app.register(m2mGuard, await guardOptions(spec))
    app.get('/orders', { onRequest: app.m2mGuard.require(requirement) }, reply)
  } else if (spec.variant === 'fastify-jwt') {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const { default: buildGetJwks } = await import('get-jwks')
    const getJwks = buildGetJwks({ issuersWhitelist: [spec.issuer], jwksPath: '/.well-known/jwks.json' })
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (_request: unknown, token: unknown) => {
        const { header, payload } = token as {
          header: { kid: string; alg: string }
          payload: { iss: string }
        }
        return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss })
      },
      verify: { allowedIss: spec.issuer, allowedAud: AUDIENCE, algorithms: [spec.alg as 'RS256'] },
    } as never)
    const verify = async (request: { jwtVerify: () => Promise<unknown> }) =>
      requireScope(await request.jwtVerify())
    app.get('/orders', { onRequest: verify as never }, reply)
  } else throw new Error(`unknown fastify variant ${spec.variant}`)
  await app.ready()
  return app
}

async function listen(spec: ServerSpec): Promise<number> {
  if (spec.framework === 'fastify') {
    const app = await fastifyApp(spec)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return (app.server.address() as AddressInfo).port
  }
  const handler = spec.framework === 'express' ? await expressApp(spec) : await koaApp(spec)
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** What the parent reads around each measurement: CPU time so far (µs), and token-cache events counted since `before`. */
export interface Probe {
  cpu: number
  cacheHits?: number
  cacheMisses?: number
}

/** `before` a measurement (counting token-cache events if asked) and `after` it. */
export type ProbeRequest = { probe: 'before'; countCache: boolean } | { probe: 'after' }

let hits = 0
let misses = 0
const countEvent = (message: unknown) => {
  const type = (message as { event?: { type?: string } }).event?.type
  if (type === 'token_cache_hit') hits++
  else if (type === 'token_cache_miss') misses++
}
let counting = false

// The parent asks for this process's CPU time around each measurement (server CPU per
// request is steadier than req/s on a shared machine, whose speed drifts) and, for
// m2m-guard on distinct tokens, for its token cache's hits and misses: the figure
// depends on them, so the report proves them. They are counted from core's
// diagnostics channel only while asked (a subscriber costs each request a fraction
// of a microsecond: the event object and its publication).
process.on('message', (message: unknown) => {
  const request = (message as Partial<ProbeRequest> | undefined)?.probe
  if (request === undefined) return
  const usage = process.cpuUsage()
  const cpu = usage.user + usage.system
  if (request === 'before') {
    hits = 0
    misses = 0
    counting = (message as { countCache?: boolean }).countCache === true
    if (counting) diagnostics.subscribe(CHANNELS.tokenCache, countEvent)
    process.send?.({ probe: { cpu } satisfies Probe })
    return
  }
  if (!counting) {
    process.send?.({ probe: { cpu } satisfies Probe })
    return
  }
  diagnostics.unsubscribe(CHANNELS.tokenCache, countEvent)
  counting = false
  process.send?.({ probe: { cpu, cacheHits: hits, cacheMisses: misses } satisfies Probe })
})

process.once('message', (spec: ServerSpec) => {
  listen(spec).then(
    (port) => process.send?.({ port }),
    (error: Error) => process.send?.({ error: error.stack ?? error.message }, () => process.exit(1)),
  )
})
process.on('disconnect', () => process.exit(0))
