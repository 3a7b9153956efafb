/**
 * @m2m-guard/fastify: a Fastify 4 and 5 plugin that admits only requests
 * carrying a valid client-credentials access token, per route.
 *
 * @example
 * import Fastify from 'fastify'
 * import m2mGuard from '@m2m-guard/fastify'
 *
 * const app = Fastify()
 * await app.register(m2mGuard, { issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * app.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, (request) => request.auth.scopes)
 */
import {
  AuthError,
  type AuthResult,
  type Requirement,
  type Verifier,
  type VerifierOptions,
} from '@m2m-guard/core'
import {
  declareRequirement,
  dpopNonceFor,
  requestInfo,
  requestUrl,
  resolveGuardOptions,
  resourceMetadataRoute,
} from '@m2m-guard/core/adapter'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token, set by a guard hook. `null` on routes without one. */
    auth: AuthResult
  }
  interface FastifyInstance {
    /** The guard of the registered {@link m2mGuard} plugin. */
    m2mGuard: Guard
  }
  interface FastifyContextConfig {
    /** A requirement enforced on this route before its own `onRequest` hooks. */
    m2m?: Requirement | undefined
  }
}

/**
 * What a guard does with an {@link AuthError}: `'respond'` (default) replies
 * with its status, headers and JSON body; `'throw'` throws it to your
 * `setErrorHandler` (Fastify's default handler also honours its `statusCode`
 * and `headers`). Other errors are always thrown.
 */
export type OnError = 'respond' | 'throw'

/**
 * Plugin options: verifier options, or a ready `verifier` to share one key
 * cache between apps; plus `onError`.
 *
 * @example
 * await app.register(m2mGuard, { verifier, onError: 'throw' })
 */
export type M2mGuardOptions = (VerifierOptions | { verifier: Verifier }) & { onError?: OnError | undefined }

/** A hook for `onRequest` (before the body is read; preferred) or `preHandler`. */
export type GuardHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

/** `app.m2mGuard`: one verifier, any number of per-route requirements. */
export interface Guard {
  /** The verifier this guard uses. */
  readonly verifier: Verifier
  /**
   * A hook that sets `request.auth` if the request's token is valid and
   * meets `requirement`; with no requirement it authenticates only. Throws a
   * TypeError at once if `requirement` is malformed.
   *
   * @example
   * app.delete('/orders/:id', { onRequest: app.m2mGuard.require({ scopes: ['orders:write'] }) }, handler)
   */
  require(requirement?: Requirement): GuardHook
}

/**
 * Creates a {@link Guard} without registering the plugin: for a second
 * issuer or audience in the same app. Register the plugin once too, so that
 * `request.auth` is decorated.
 *
 * @example
 * const partners = createGuard({ issuer: 'https://partners-auth.example.com', audience })
 * app.get('/partner-feed', { onRequest: partners.require({ scopes: ['feed:read'] }) }, handler)
 */
export function createGuard(options: M2mGuardOptions | Verifier): Guard {
  const { verifier, onError } = resolveGuardOptions(options, ['respond', 'throw'])
  return {
    verifier,
    require(requirement) {
      declareRequirement(verifier, requirement)
      return async (request, reply) => {
        try {
          const info = requestInfo({
            method: request.method,
            headers: request.headers,
            url: () => absoluteUrl(request),
            socket: request.raw.socket,
          })
          request.auth = await verifier.authorize(info, requirement, request.auth)
          // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
          const nonce = dpopNonceFor(info)
          if (nonce !== undefined) reply.header('DPoP-Nonce', nonce)
        } catch (error) {
          if (!(error instanceof AuthError) || onError === 'throw') throw error
          return reply.code(error.status).headers(error.headers).send(error.body)
        }
      }
    },
  }
}

const plugin: FastifyPluginAsync<M2mGuardOptions> = async (fastify, options) => {
  const guard = createGuard(options)
  // Typed as AuthResult because handlers read it behind a guard; null keeps the request shape stable.
  fastify.decorateRequest('auth', null as unknown as AuthResult)
  fastify.decorate('m2mGuard', guard)
  // RFC 9728: with the resourceMetadata option, the metadata is served at its well-known path.
  const metadata = resourceMetadataRoute(guard.verifier)
  if (metadata !== undefined) {
    fastify.get(metadata.path, (_request, reply) =>
      reply.type('application/json').send(JSON.stringify(metadata.document())),
    )
  }
  // Declared requirements run first, in onRequest, so an unauthenticated client
  // learns nothing from body parsing or schema validation errors. One hook for
  // every route, reading the route's config: routes declared before the plugin
  // loaded (an unawaited register) are enforced too, where an onRoute hook never
  // sees them and they would pass unguarded.
  const hooks = new WeakMap<object, GuardHook>()
  const hookFor = (m2m: Requirement): GuardHook => {
    let hook = hooks.get(m2m)
    if (hook === undefined) {
      hook = guard.require(m2m)
      hooks.set(m2m, hook)
    }
    return hook
  }
  // Routes declared from now on: a malformed requirement is a TypeError at declaration.
  fastify.addHook('onRoute', (route) => {
    const m2m: unknown = route.config?.m2m
    if (m2m !== undefined) hookFor(m2m as Requirement)
  })
  fastify.addHook('onRequest', (request, reply, done) => {
    const m2m = declaredRequirement(request)
    if (m2m === undefined) return done()
    let answered: Promise<unknown>
    try {
      answered = hookFor(m2m)(request, reply)
    } catch (error) {
      return done(error as Error)
    }
    // The guard returns the reply when it answered the request itself: the chain stops there.
    answered.then(
      (result) => result === reply || done(),
      (error: Error) => done(error),
    )
  })
}

/** `config.m2m` of the request's route (Fastify 5 `routeOptions`, Fastify 4 `routeConfig` too). */
function declaredRequirement(request: FastifyRequest): Requirement | undefined {
  const legacy = request as { routeConfig?: { m2m?: Requirement } }
  const config = (request.routeOptions?.config as { m2m?: Requirement } | undefined) ?? legacy.routeConfig
  return config?.m2m
}

/**
 * The plugin. Options are verifier options or `{ verifier }`, plus
 * `onError`. Decorates `app.m2mGuard` and `request.auth`, and enforces
 * `config.m2m` on every route of its scope, declared before or after it. With the verifier's
 * `resourceMetadata` option, it also serves the RFC 9728 metadata (`GET`,
 * JSON) at its well-known path.
 *
 * @example
 * await app.register(m2mGuard, { issuer, audience, onError: 'throw' })
 * app.setErrorHandler((err, request, reply) => {
 *   if (!(err instanceof AuthError)) return reply.send(err)
 *   return reply.code(err.status).headers(err.headers).send({ message: err.description, reason: err.reason })
 * })
 */
export const m2mGuard = fp(plugin, { fastify: '4.x || 5.x', name: '@m2m-guard/fastify' })
export default m2mGuard

/**
 * The URL as the client addressed it: Fastify's `request.protocol` and host
 * (`host` on Fastify 5, `hostname` with the port on 4), which read
 * `X-Forwarded-Proto`/`-Host` only under its `trustProxy` option (off by default).
 */
function absoluteUrl(request: FastifyRequest): string {
  const host = (request as { host?: string }).host ?? request.hostname
  return requestUrl(request.protocol, host, request.url)
}
