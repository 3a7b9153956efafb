/**
 * @m2m-guard/koa: Koa 2 and 3 middleware that admits only requests carrying
 * a valid client-credentials access token, per route.
 *
 * @example
 * import Koa from 'koa'
 * import Router from '@koa/router'
 * import { createGuard } from '@m2m-guard/koa'
 *
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const router = new Router()
 * router.get('/orders', guard.require({ scopes: ['orders:read'] }), (ctx) => {
 *   ctx.body = { client: ctx.state.auth.clientId }
 * })
 * new Koa().use(router.routes()).listen(3000)
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
  requiredMetadataRoute,
  resolveGuardOptions,
} from '@m2m-guard/core/adapter'
import type { Middleware } from 'koa'

export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'

declare module 'koa' {
  interface DefaultState {
    /** The verified token, set by a guard's middleware. Present only on routes behind a guard. */
    auth: AuthResult
  }
}

/**
 * What a guard does with an {@link AuthError}: `'respond'` (default) sets
 * its status, headers and JSON body; `'throw'` throws it to your error
 * middleware (Koa's own handler also honours its `status`, `expose` and
 * `headers`). Other errors are always thrown.
 */
export type OnError = 'respond' | 'throw'

/**
 * Options of {@link createGuard}: verifier options, or a ready `verifier` to
 * share one key cache between guards; plus `onError`.
 *
 * @example
 * const options: GuardOptions = { verifier, onError: 'throw' }
 */
export type GuardOptions = (VerifierOptions | { verifier: Verifier }) & { onError?: OnError | undefined }

/** A guard: one verifier, any number of per-route requirements. */
export interface Guard {
  /** The verifier this guard uses. */
  readonly verifier: Verifier
  /**
   * Middleware that sets `ctx.state.auth` if the request's token is valid and
   * meets `requirement`; with no requirement it authenticates only. Throws a
   * TypeError at once if `requirement` is malformed.
   *
   * @example
   * router.delete('/orders/:id', guard.require({ scopes: ['orders:write'], clients: ['billing'] }), handler)
   */
  require(requirement?: Requirement): Middleware
  /**
   * Middleware that serves the verifier's RFC 9728 metadata (`GET`, JSON) at
   * its well-known path, and passes every other request on. Throws a
   * TypeError at once if the `resourceMetadata` option is not set.
   *
   * @example
   * const guard = createGuard({ issuer, audience, resourceMetadata: { resource: 'https://orders.example.com' } })
   * app.use(guard.metadata()) // GET /.well-known/oauth-protected-resource
   */
  metadata(): Middleware
}

/**
 * Creates a {@link Guard} from verifier options or a ready `Verifier`.
 * Throws a TypeError naming the option if the options are invalid.
 *
 * @example
 * const guard = createGuard({ issuer, audience, onError: 'throw' })
 * app.use(async (ctx, next) => {
 *   try {
 *     await next()
 *   } catch (err) {
 *     if (!(err instanceof AuthError)) throw err
 *     ctx.status = err.status
 *     ctx.set(err.headers)
 *     ctx.body = { message: err.description, reason: err.reason }
 *   }
 * })
 */
export function createGuard(options: GuardOptions | Verifier): Guard {
  const { verifier, onError } = resolveGuardOptions(options, ['respond', 'throw'])
  return {
    verifier,
    require(requirement) {
      declareRequirement(verifier, requirement)
      return async (ctx, next) => {
        let auth: AuthResult
        try {
          // ctx.protocol and ctx.host read X-Forwarded-Proto/-Host only with `app.proxy` (off by default).
          const request = requestInfo({
            method: ctx.method,
            headers: ctx.headers,
            url: () => requestUrl(ctx.protocol, ctx.host, ctx.originalUrl),
            socket: ctx.req.socket,
          })
          auth = await verifier.authorize(request, requirement, ctx.state.auth)
          // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
          const nonce = dpopNonceFor(request)
          if (nonce !== undefined) ctx.set('DPoP-Nonce', nonce)
        } catch (error) {
          if (!(error instanceof AuthError) || onError === 'throw') throw error
          ctx.status = error.status
          ctx.set(error.headers)
          ctx.body = error.body
          return
        }
        ctx.state.auth = auth
        await next()
      }
    },
    metadata() {
      const route = requiredMetadataRoute(verifier)
      return async (ctx, next) => {
        if (ctx.method !== 'GET' || ctx.path !== route.path) return next()
        ctx.type = 'application/json'
        ctx.body = JSON.stringify(route.document())
      }
    },
  }
}
