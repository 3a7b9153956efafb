/**
 * @m2m-guard/fetch: a gate for web-standard `Request`/`Response` handlers
 * (Node, Bun, Deno, Cloudflare Workers) that admits only requests carrying a
 * valid client-credentials access token.
 *
 * @example
 * import { createGuard } from '@m2m-guard/fetch'
 *
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * export default {
 *   fetch: guard.protect({ scopes: ['orders:read'] }, (request, auth) => Response.json({ client: auth.clientId })),
 * }
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
  requiredMetadataRoute,
  resolveGuardOptions,
  withResponseHeader,
} from '@m2m-guard/core/adapter'

export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'

/**
 * What {@link Guard.protect} does with an {@link AuthError}: `'respond'`
 * (default) answers with {@link Guard.respond}; `'throw'` rejects with it, so
 * your own wrapper formats it. Other errors always reject.
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
 * A route handler behind {@link Guard.protect}: the request, its verified
 * token, then whatever the runtime passes after the request (a Worker's `env`
 * and `ctx`, Deno's `info`, Bun's `server`).
 *
 * @example
 * const handler: GuardedHandler<[Env, ExecutionContext]> = (request, auth, env) => Response.json(auth.scopes)
 */
export type GuardedHandler<Rest extends unknown[] = []> = (
  request: Request,
  auth: AuthResult,
  ...rest: Rest
) => Response | Promise<Response>

/**
 * A fetch handler: what `export default { fetch }`, `Deno.serve` and
 * `Bun.serve` take.
 *
 * @example
 * const fetch: FetchHandler = guard.protect(handler)
 */
export type FetchHandler<Rest extends unknown[] = []> = (request: Request, ...rest: Rest) => Promise<Response>

/**
 * Serves the RFC 9728 metadata document: `GET` (and `HEAD`) get it as JSON,
 * other methods a 405. `path` is where clients look for it (the well-known
 * URL's path), for your router.
 *
 * @example
 * const metadata: MetadataHandler = guard.metadata()
 * if (new URL(request.url).pathname === metadata.path) return metadata(request)
 */
export type MetadataHandler = ((request: Request) => Response) & { readonly path: string }

/** A guard: one verifier, any number of per-route requirements. */
export interface Guard {
  /** The verifier this guard uses. */
  readonly verifier: Verifier
  /**
   * The verified token of `request`, once it meets `requirement`; rejects
   * with an {@link AuthError}. A request this guard already authenticated is
   * not verified again: only `requirement` is checked.
   *
   * On Cloudflare Workers, hand what the verifier left running (a key refresh
   * in the background) to `ctx.waitUntil` before you answer, as `protect()`
   * does, or the Worker cancels it: see `Verifier.backgroundWork()`.
   *
   * @example
   * const auth = await guard.authenticate(request, { scopes: ['orders:read'] })
   * // in a Worker's fetch(request, env, ctx), whatever the outcome:
   * ctx.waitUntil(guard.verifier.backgroundWork() ?? Promise.resolve())
   */
  authenticate(request: Request, requirement?: Requirement): Promise<AuthResult>
  /**
   * The RFC 6750 answer to an {@link AuthError}: its status, `WWW-Authenticate`
   * and `Retry-After` headers, and the JSON body `{ error, error_description }`.
   *
   * @example
   * try { auth = await guard.authenticate(request) } catch (error) {
   *   if (error instanceof AuthError) return guard.respond(error)
   *   throw error
   * }
   */
  respond(error: AuthError): Response
  /**
   * The headers a successful answer to `request` must carry, after
   * {@link Guard.authenticate} passed it: today only RFC 9449 §8.2's next
   * `DPoP-Nonce`, when `dpop.nonce` is on and the client's nonce is in its
   * last window (so a client that keeps calling never meets
   * `use_dpop_nonce`). Usually empty. `protect()` sets them itself.
   *
   * @example
   * const auth = await guard.authenticate(request, { scopes: ['orders:read'] })
   * return Response.json({ client: auth.clientId }, { headers: guard.responseHeaders(request) })
   */
  responseHeaders(request: Request): Record<string, string>
  /**
   * Wraps `handler` so that it runs only for requests whose token is valid
   * and meets `requirement` (omitted: authenticates only). Throws a TypeError
   * at once if `requirement` is malformed. In a Worker (`fetch(request, env,
   * ctx)`), it hands the verifier's background work (a key refresh the request
   * started) to `ctx.waitUntil`, refusals included, so the Worker does not
   * cancel it once the answer is sent.
   *
   * @example
   * Deno.serve(guard.protect({ scopes: ['orders:read'] }, (request, auth) => Response.json(auth.clientId)))
   */
  protect<Rest extends unknown[] = []>(handler: GuardedHandler<Rest>): FetchHandler<Rest>
  protect<Rest extends unknown[] = []>(
    requirement: Requirement | undefined,
    handler: GuardedHandler<Rest>,
  ): FetchHandler<Rest>
  /**
   * The handler of the verifier's RFC 9728 metadata. Throws a TypeError at
   * once if the `resourceMetadata` option is not set.
   *
   * @example
   * const guard = createGuard({ issuer, audience, resourceMetadata: { resource: 'https://orders.example.com' } })
   * const metadata = guard.metadata() // metadata.path: '/.well-known/oauth-protected-resource'
   */
  metadata(): MetadataHandler
}

/**
 * Creates a {@link Guard} from verifier options or a ready `Verifier`.
 * Throws a TypeError naming the option if the options are invalid.
 *
 * @example
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * Bun.serve({ fetch: guard.protect({ clients: ['billing'] }, (request, auth) => new Response(auth.clientId)) })
 */
export function createGuard(options: GuardOptions | Verifier): Guard {
  const { verifier, onError } = resolveGuardOptions(options, ['respond', 'throw'])
  // Per request, what this guard verified: a second requirement on the same request is only checked.
  const verified = new WeakMap<Request, AuthResult>()

  async function authenticate(request: Request, requirement?: Requirement): Promise<AuthResult> {
    // The Request is a RequestInfo (method, url, headers): DPoP proofs are checked against it.
    const auth = await verifier.authorize(request, requirement, verified.get(request))
    verified.set(request, auth)
    return auth
  }

  function protect<Rest extends unknown[]>(
    ...args: [GuardedHandler<Rest>] | [Requirement | undefined, GuardedHandler<Rest>]
  ): FetchHandler<Rest> {
    const [requirement, handler] = args.length === 1 ? [undefined, args[0]] : args
    declareRequirement(verifier, requirement)
    if (typeof handler !== 'function') throw new TypeError('protect() needs a handler function')
    return async (request, ...rest) => {
      try {
        let auth: AuthResult
        try {
          auth = await authenticate(request, requirement)
        } catch (error) {
          if (error instanceof AuthError && onError === 'respond') return respond(error)
          throw error
        }
        const response = await handler(request, auth, ...rest)
        // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
        const nonce = dpopNonceFor(request)
        return nonce === undefined ? response : withResponseHeader(response, 'DPoP-Nonce', nonce)
      } finally {
        // A Worker's fetch(request, env, ctx): a key refresh this request started must outlive its answer.
        if (rest.length > 1) handOffBackgroundWork(verifier, rest, executionContext)
      }
    }
  }

  function responseHeaders(request: Request): Record<string, string> {
    const nonce = dpopNonceFor(request)
    return nonce === undefined ? {} : { 'DPoP-Nonce': nonce }
  }

  function metadata(): MetadataHandler {
    const route = requiredMetadataRoute(verifier)
    const serve = (request: Request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } })
      }
      const body = request.method === 'HEAD' ? null : JSON.stringify(route.document())
      return new Response(body, { headers: { 'Content-Type': 'application/json' } })
    }
    return Object.assign(serve, { path: route.path })
  }

  return { verifier, authenticate, respond, responseHeaders, protect, metadata }
}

/**
 * The RFC 6750 `Response` for an {@link AuthError} (also {@link Guard.respond}).
 *
 * @example
 * if (error instanceof AuthError) return respond(error)
 */
export function respond(error: AuthError): Response {
  if (!(error instanceof AuthError)) throw new TypeError('respond() needs an AuthError')
  return new Response(JSON.stringify(error.body), {
    status: error.status,
    headers: { ...error.headers, 'Content-Type': 'application/json' },
  })
}

/** A Worker's ExecutionContext, `ctx` of `fetch(request, env, ctx)`: the second argument after the request. */
const executionContext = (rest: readonly unknown[]) => rest[1]
