/**
 * @m2m-guard/hono: Hono 4 middleware that admits only requests carrying a
 * valid client-credentials access token, per route, on every runtime Hono
 * runs on.
 *
 * @example
 * import { Hono } from 'hono'
 * import { createGuard } from '@m2m-guard/hono'
 *
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const app = new Hono()
 * app.get('/orders', guard.require({ scopes: ['orders:read'] }), (c) => c.json({ client: c.var.auth.clientId }))
 * export default app
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
  handOffBackgroundWork,
  requestInfo,
  requiredMetadataRoute,
  resolveGuardOptions,
  withResponseHeader,
} from '@m2m-guard/core/adapter'
import { respond } from '@m2m-guard/fetch'
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'

/**
 * What a guard does with an {@link AuthError}: `'respond'` (default) answers
 * with its status, headers and JSON body; `'throw'` throws an `HTTPException`
 * whose `res` is that same answer and whose `cause` is the AuthError, for
 * `app.onError` (Hono's default handler sends `res` unchanged). Other errors
 * are always thrown.
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

/**
 * What the middleware adds to Hono's `Env`: `c.var.auth`, typed in the
 * handlers mounted after it on the same route, and in an app declared with it.
 *
 * @example
 * const app = new Hono<AuthEnv>()
 * app.use('/orders/*', guard.require())
 * app.get('/orders', (c) => c.json(c.var.auth.scopes))
 */
export interface AuthEnv {
  Variables: {
    /** The verified token, set by a guard's middleware. */
    auth: AuthResult
  }
}

/** A guard: one verifier, any number of per-route requirements. */
export interface Guard {
  /** The verifier this guard uses. */
  readonly verifier: Verifier
  /**
   * Middleware that sets `c.var.auth` if the request's token is valid and
   * meets `requirement`; with no requirement it authenticates only. A request
   * this guard already authenticated is only checked against `requirement`.
   * Throws a TypeError at once if `requirement` is malformed. On Cloudflare
   * Workers it hands the verifier's background work (a key refresh the request
   * started) to `c.executionCtx.waitUntil`, refusals included, so the Worker
   * does not cancel it once the answer is sent.
   *
   * @example
   * app.delete('/orders/:id', guard.require({ scopes: ['orders:write'], clients: ['billing'] }), handler)
   */
  require(requirement?: Requirement): MiddlewareHandler<AuthEnv>
  /**
   * Middleware that serves the verifier's RFC 9728 metadata (`GET`, JSON) at
   * its well-known path and passes every other request on; as a route
   * handler, mount it at `guard.metadata().path`. Throws a TypeError at once
   * if the `resourceMetadata` option is not set.
   *
   * @example
   * const guard = createGuard({ issuer, audience, resourceMetadata: { resource: 'https://orders.example.com' } })
   * app.use(guard.metadata()) // GET /.well-known/oauth-protected-resource
   */
  metadata(): MiddlewareHandler & { readonly path: string }
}

/**
 * Creates a {@link Guard} from verifier options or a ready `Verifier`.
 * Throws a TypeError naming the option if the options are invalid.
 *
 * @example
 * const guard = createGuard({ issuer, audience, onError: 'throw' })
 * app.onError((err, c) => {
 *   if (err instanceof HTTPException && err.cause instanceof AuthError) console.warn(err.cause.reason)
 *   return err instanceof HTTPException ? err.getResponse() : c.text('internal error', 500)
 * })
 */
export function createGuard(options: GuardOptions | Verifier): Guard {
  const { verifier, onError } = resolveGuardOptions(options, ['respond', 'throw'])
  return {
    verifier,
    require(requirement) {
      declareRequirement(verifier, requirement)
      return async (c, next) => {
        try {
          let auth: AuthResult
          let nonce: string | undefined
          try {
            const request = requestInfo({
              method: c.req.method,
              headers: c.req.raw.headers,
              url: () => c.req.url,
              // On Node (@hono/node-server) the connection, for an mTLS peer certificate; elsewhere none.
              socket: (c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming?.socket,
            })
            auth = await verifier.authorize(request, requirement, c.get('auth'))
            // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
            nonce = dpopNonceFor(request)
            if (nonce !== undefined) c.header('DPoP-Nonce', nonce)
          } catch (error) {
            if (!(error instanceof AuthError)) throw error
            if (onError === 'respond') return respond(error)
            const status = error.status as ContentfulStatusCode
            throw new HTTPException(status, { res: respond(error), message: error.description, cause: error })
          }
          c.set('auth', auth)
          await next()
          // c.header() reaches c.json()'s answer, not a Response the handler built itself.
          if (nonce !== undefined && !c.res.headers.has('DPoP-Nonce')) {
            const answer = withResponseHeader(c.res, 'DPoP-Nonce', nonce)
            if (answer !== c.res) c.res = answer
          }
        } finally {
          // On Workers, a key refresh this request started must outlive its answer.
          handOffBackgroundWork(verifier, c, executionContext)
        }
      }
    },
    metadata() {
      const route = requiredMetadataRoute(verifier)
      const serve: MiddlewareHandler = async (c, next) => {
        if (c.req.method !== 'GET' || c.req.path !== route.path) return next()
        return c.json(route.document())
      }
      return Object.assign(serve, { path: route.path })
    },
  }
}

/** Hono's `c.executionCtx`: a Worker's ExecutionContext; the getter throws where there is none (Node). */
const executionContext = (c: Context) => c.executionCtx
