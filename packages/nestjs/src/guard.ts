/**
 * The global guard: every HTTP route needs a valid token unless it is
 * `@Public()`, and must meet every requirement its controller and handler
 * declare. A refusal sets the RFC 6750 headers on the response and throws an
 * {@link M2mAuthException} carrying status and body.
 */
import { AuthError, type AuthResult, type Verifier } from '@m2m-guard/core'
import { dpopNonceFor, requestInfo } from '@m2m-guard/core/adapter'
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { M2mAuthException } from './exception.js'
import { type RoutePolicy, routePolicy } from './metadata.js'
import { requestSource } from './request-source.js'
import { M2M_GUARD_VERIFIER } from './tokens.js'

/** The request as both platforms give it: Express's `req`, Fastify's `request`. */
interface HttpRequest {
  auth?: AuthResult
}

/**
 * Installed by `M2mGuardModule` as `APP_GUARD`; you do not register it yourself.
 *
 * @example
 * // Inside the module, as installed:
 * { provide: APP_GUARD, useClass: M2mGuard }
 */
@Injectable()
export class M2mGuard implements CanActivate {
  // Read once per route: metadata does not change after the app starts.
  readonly #policies = new WeakMap<object, WeakMap<object, RoutePolicy>>()

  constructor(
    @Inject(M2M_GUARD_VERIFIER) private readonly verifier: Verifier,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.#policy(context.getClass(), context.getHandler())
    if (policy.isPublic) return true
    // Deny by default: gateways and microservices carry no Authorization
    // header this guard could read. Mark their handlers @Public() and guard them otherwise.
    if (context.getType() !== 'http') return false
    const http = context.switchToHttp()
    const request = http.getRequest<HttpRequest>()
    const [first, ...rest] = policy.requirements
    try {
      // The whole request: DPoP proofs name its method and URL, mTLS needs its connection.
      const info = requestInfo(requestSource(request))
      let auth = await this.verifier.authorize(info, first, request.auth)
      // authorize() with the result at hand checks only the requirement, and counts it in the
      // usage report and the metrics, which check() alone does not.
      for (const requirement of rest) auth = await this.verifier.authorize(info, requirement, auth)
      request.auth = auth
      // RFC 9449 §8.2: the client's nonce is about to age out; here is the next one.
      const nonce = dpopNonceFor(info)
      if (nonce !== undefined)
        this.adapterHost.httpAdapter.setHeader(http.getResponse<unknown>(), 'DPoP-Nonce', nonce)
      return true
    } catch (error) {
      if (!(error instanceof AuthError)) throw error
      const response = http.getResponse<unknown>()
      const adapter = this.adapterHost.httpAdapter
      for (const [name, value] of Object.entries(error.headers)) adapter.setHeader(response, name, value)
      throw new M2mAuthException(error)
    }
  }

  #policy(controller: object, handler: object): RoutePolicy {
    let byController = this.#policies.get(handler)
    if (byController === undefined) {
      byController = new WeakMap()
      this.#policies.set(handler, byController)
    }
    let policy = byController.get(controller)
    if (policy === undefined) {
      policy = routePolicy(controller, handler)
      byController.set(controller, policy)
    }
    return policy
  }
}
