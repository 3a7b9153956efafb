/**
 * One server of the HTTP suite, in its own process: a framework with one
 * route, GET /orders, bare or behind m2m-guard or a peer middleware, each
 * requiring the `orders:read` scope. Listens on 127.0.0.1:0 and reports its
 * port over IPC; the parent drives it with autocannon.
 */
import diagnostics from 'node:diagnostics_channel'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CHANNELS } from '@m2m-guard/core/observe'
import type { RequestHandler } from 'express'
import type Koa from 'koa'
import { requireScope } from './contenders.js'
import { AUDIENCE, SCOPE } from './fixtures.js'

// Each server imports only its framework and middleware (imported below, on demand):
// the children start faster, and none carries a peer it does not run.

export type Framework = 'express' | 'koa' | 'fastify'

export interface ServerSpec {
  framework: Framework
  /** `bare`, `m2m-guard`, or a peer's id. */
  variant: string
  issuer: string
  jwksUri: string
  alg: string
  /** m2m-guard's token cache size (plain and new-token variants); the parent sizes it to the workload. */
  tokenCache?: number | undefined
}

/**
 * m2m-guard with a feature other issues added on the request path (issue 14:
 * each keeps the reused-token figures): `usage: true`, and OpenTelemetry
 * metrics (@m2m-guard/otel on the SDK). Measured on the reused token only.
 */
export const OURS_WITH = ['m2m-guard-usage', 'm2m-guard-otel'] as const

/**
 * Plain m2m-guard with a token cache half the size of the distinct-token
 * pool, so that every token is new to it (the worst case; informational).
 * Measured on the distinct tokens only. Plain `m2m-guard` gets a cache that
 * holds the whole pool: 10,000 clients, each reusing its token.
 */
export const OURS_NEW_TOKENS = 'm2m-guard-new-tokens'

/** The variants each framework is measured with: bare, ours (plain and with features), and the peers users pick for it. */
export const VARIANTS: Record<Framework, string[]> = {
  express: ['bare', 'm2m-guard', OURS_NEW_TOKENS, ...OURS_WITH, 'express-oauth2-jwt-bearer', 'express-jwt'],
  koa: ['bare', 'm2m-guard', OURS_NEW_TOKENS, ...OURS_WITH, 'koa-jwt'],
  fastify: ['bare', 'm2m-guard', OURS_NEW_TOKENS, ...OURS_WITH, 'fastify-jwt'],
}

/** How the report names a variant: its id, or what the feature is. */
export function variantLabel(variant: string): string {
  if (variant === OURS_NEW_TOKENS) return 'm2m-guard, token cache half the pool (every token new)'
  if (variant === 'm2m-guard-usage') return 'm2m-guard, usage: true'
  if (variant === 'm2m-guard-otel') return 'm2m-guard, @m2m-guard/otel metrics (SDK with a reader)'
  return variant
}

/** Whether `variant` is m2m-guard, plain, with a feature, or with a cache too small for the pool. */
export const isOurs = (variant: string) =>
  variant === 'm2m-guard' || variant === OURS_NEW_TOKENS || (OURS_WITH as readonly string[]).includes(variant)

/** Whether `variant` is another library's middleware. */
export const isPeer = (variant: string) => variant !== 'bare' && !isOurs(variant)

const requirement = { scopes: [SCOPE] }

/** The guard options of an m2m-guard variant: the plain options, or a verifier with the variant's feature. */
async function guardOptions(spec: ServerSpec) {
  const options = { issuer: spec.issuer, audience: AUDIENCE, jwksUri: spec.jwksUri }
  if (spec.variant === 'm2m-guard' || spec.variant === OURS_NEW_TOKENS)
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

async function expressChain(spec: ServerSpec): Promise<RequestHandler[]> {
  if (spec.variant === 'bare') return []
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
  if ((message as { event?: { type?: string } }).event?.type === 'token_cache_hit') hits++
  else misses++
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
