/**
 * @m2m-guard/express: Express 4 and 5 middleware that admits only requests
 * carrying a valid client-credentials access token, per route.
 *
 * @example
 * import express from 'express'
 * import { createGuard } from '@m2m-guard/express'
 *
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const app = express()
 * app.get('/orders', guard.require({ scopes: ['orders:read'] }), (req, res) => {
 *   res.json({ client: req.auth.clientId })
 * })
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
  firstForwarded,
  requestInfo,
  requestUrl,
  requiredMetadataRoute,
  resolveGuardOptions,
} from '@m2m-guard/core/adapter'
import type { NextFunction, Request, Response } from 'express'

export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'

declare global {
  namespace Express {
    interface Request {
      /** The verified token, set by a guard's middleware. Present only on routes behind a guard. */
      auth: AuthResult
    }
  }
}

/**
 * What a guard does with an {@link AuthError}: `'respond'` (default) answers
 * with its status, headers and JSON body; `'next'` calls `next(err)` so your
 * error handler formats it. Other errors always go to `next(err)`.
 */
export type OnError = 'respond' | 'next'

/**
 * Options of {@link createGuard}: verifier options, or a ready `verifier` to
 * share one key cache between guards; plus `onError`.
 *
 * @example
 * const options: GuardOptions = { verifier, onError: 'next' }
 */
export type GuardOptions = (VerifierOptions | { verifier: Verifier }) & { onError?: OnError | undefined }

/**
 * Express middleware, generic so that it fits any route without changing
 * how the route's own handlers are typed (`req.params` keeps the names in the path).
 */
// biome-ignore lint/suspicious/noExplicitAny: Express's own bound for Locals; `unknown` would refuse interfaces.
export type GuardMiddleware = <P, ResBody, ReqBody, ReqQuery, Locals extends Record<string, any>>(
  req: Request<P, ResBody, ReqBody, ReqQuery, Locals>,
  res: Response<ResBody, Locals>,
  next: NextFunction,
) => void

/** A guard: one verifier, any number of per-route requirements. */
export interface Guard {
  /** The verifier this guard uses. */
  readonly verifier: Verifier
  /**
   * Middleware that sets `req.auth` if the request's token is valid and meets
   * `requirement`; with no requirement it authenticates only. Throws a
   * TypeError at once if `requirement` is malformed.
   *
   * @example
   * router.delete('/orders/:id', guard.require({ scopes: ['orders:write'], clients: ['billing'] }), handler)
   */
  require(requirement?: Requirement): GuardMiddleware
  /**
   * Middleware that serves the verifier's RFC 9728 metadata (`GET`, JSON) at
   * its well-known path, and passes every other request on. Throws a
   * TypeError at once if the `resourceMetadata` option is not set.
   *
   * @example
   * const guard = createGuard({ issuer, audience, resourceMetadata: { resource: 'https://orders.example.com' } })
   * app.use(guard.metadata()) // GET /.well-known/oauth-protected-resource
   */
  metadata(): GuardMiddleware
}

/**
 * Creates a {@link Guard} from verifier options or a ready `Verifier`.
 * Throws a TypeError naming the option if the options are invalid.
 *
 * @example
 * const guard = createGuard({ issuer, audience, onError: 'next' })
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof AuthError)) return next(err)
 *   res.status(err.status).set(err.headers).json({ message: err.description, reason: err.reason })
 * })
 */
export function createGuard(options: GuardOptions | Verifier): Guard {
  const { verifier, onError } = resolveGuardOptions(options, ['respond', 'next'])
  return {
    verifier,
    require(requirement) {
      declareRequirement(verifier, requirement)
      return (req, res, next) => {
        // Two-argument then: an exception thrown further down the chain by next() must not reach onRejected.
        const request = requestInfo({
          method: req.method,
          headers: req.headers,
          url: () => absoluteUrl(req as unknown as Request),
          socket: req.socket,
        })
        verifier.authorize(request, requirement, req.auth).then(
          (auth) => {
            // Something else answered while the token was verified (a request timeout): the
            // request is over, and no handler of it may run. Writing would throw, unhandled.
            if (res.headersSent) return
            req.auth = auth
            // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
            const nonce = dpopNonceFor(request)
            if (nonce !== undefined) res.setHeader('DPoP-Nonce', nonce)
            next()
          },
          (error: unknown) => {
            // Express 4 ignores rejected promises: every failure must leave through next() or a response.
            if (!(error instanceof AuthError) || onError === 'next' || res.headersSent) return next(error)
            // The route types its own success body; a refusal's body is ours.
            const response = res as Response
            response.status(error.status).set(error.headers).json(error.body)
          },
        )
      }
    },
    metadata() {
      const route = requiredMetadataRoute(verifier)
      return (req, res, next) => {
        if (req.method !== 'GET' || req.path !== route.path) return next()
        ;(res as Response).type('application/json').send(JSON.stringify(route.document()))
      }
    },
  }
}

/**
 * The URL as the client addressed it, by Express's own rules: `req.protocol`
 * and, as `req.host` reads it, `X-Forwarded-Host` only when the app's
 * `trust proxy` setting trusts the peer (off by default); the port kept.
 */
function absoluteUrl(req: Request): string {
  const trust = req.app.get('trust proxy fn') as
    | ((address: string | undefined, hop: number) => boolean)
    | undefined
  const forwarded = trust?.(req.socket.remoteAddress, 0)
    ? firstForwarded(req.headers['x-forwarded-host'])
    : undefined
  return requestUrl(req.protocol, forwarded ?? req.headers.host, req.originalUrl)
}
