/**
 * The answers the verifier gives without waiting, each a settled promise: a
 * reused token found in the token cache (the hottest path: a client reuses its
 * token for minutes, as it should), or the result an earlier guard left on the
 * same request. No header validation beyond `Bearer `, no async frame. The
 * entry points try these first, and the observed ones (verification-calls.ts)
 * report them without reading the clock.
 */
import type { Observer } from '../observe/observer.js'
import type { Acceptance } from '../policy/acceptance.js'
import type { Requirement } from '../policy/requirement.js'
import type { CachedResult, TokenCache } from '../token/token-cache.js'
import type { AuthResult } from '../types.js'
import { authorizationOf } from './authenticate-request.js'
import { isBearerSpace } from './extract-token.js'
import type { RequestInfo } from './request-info.js'

/** What the immediate answers need from the verifier. */
export interface ImmediateAnswerParts {
  readonly cache: TokenCache | undefined
  readonly observer: Observer
  readonly clock: () => number
  readonly realm: string | undefined
  /** `dpop` or `mtls` is on: a request's token must prove possession, never answered here. */
  readonly bindingEnabled: boolean
  readonly accept: Acceptance['accept']
  owns(value: unknown): value is AuthResult
}

/** The immediate answers of one verifier; each returns undefined where the call must go the full way. */
export interface ImmediateAnswers {
  /** The cached result for `token` at `now`, reported as a hit (its key set revalidated), or undefined. */
  lookup(token: string, now: number): CachedResult | undefined
  /** `authenticate`'s answer for a reused token, or its refusal for this requirement. */
  authenticate(authorization: unknown, requirement: Requirement | undefined): Promise<AuthResult> | undefined
  /** `authenticateRequest`'s, for a reused token, when no binding is configured. */
  authenticateRequest(request: RequestInfo, requirement?: Requirement): Promise<AuthResult> | undefined
  /** `authorize`'s: an earlier guard's result, or a reused token. */
  authorize(
    request: RequestInfo | string | undefined,
    requirement: Requirement | undefined,
    current: unknown,
  ): Promise<AuthResult> | undefined
}

/**
 * The {@link ImmediateAnswers} of one verifier.
 *
 * @example
 * const now = immediateAnswers({ cache, observer, clock, realm, bindingEnabled, accept, owns })
 * return now.authenticate(authorization, requirement) ?? authenticateNew(authorization, requirement)
 */
export function immediateAnswers(parts: ImmediateAnswerParts): ImmediateAnswers {
  const { cache, observer, clock, realm, bindingEnabled, accept, owns } = parts
  const { emit } = observer

  function lookup(token: string, now: number): CachedResult | undefined {
    const hit = cache?.get(token, now)
    if (hit === undefined) return undefined
    hit.profile.keys.revalidate(now)
    if (observer.watching('tokenCache'))
      emit({ type: 'token_cache_hit', issuer: hit.profile.id, clientId: hit.auth.clientId })
    return hit
  }

  function authenticate(
    authorization: unknown,
    requirement: Requirement | undefined,
  ): Promise<AuthResult> | undefined {
    // "Bearer" in any case, one space, then the token: a cached token passed extraction and the
    // compact-JWS check when it was verified, so the lookup key is exactly what extraction would return.
    if (typeof authorization !== 'string' || !isBearerSpace(authorization)) return undefined
    const now = clock()
    const hit = lookup(authorization.slice(7), now)
    return hit === undefined ? undefined : accept(hit.auth, requirement, now, hit)
  }

  function authenticateRequest(
    request: RequestInfo,
    requirement?: Requirement,
  ): Promise<AuthResult> | undefined {
    if (bindingEnabled || typeof request?.headers !== 'object' || request.headers === null) return undefined
    let authorization: string | undefined
    try {
      authorization = authorizationOf(request.headers, realm)
    } catch {
      return undefined // the full call answers it
    }
    return authenticate(authorization, requirement)
  }

  // On a miss the full call looks the token up again: a tenth of a microsecond, on a path that checks a signature.
  function authorize(
    request: RequestInfo | string | undefined,
    requirement: Requirement | undefined,
    current: unknown,
  ): Promise<AuthResult> | undefined {
    if (owns(current)) return accept(current, requirement, undefined, undefined, true)
    if (typeof request !== 'object' || request === null) return authenticate(request, requirement)
    return authenticateRequest(request, requirement)
  }

  return { lookup, authenticate, authenticateRequest, authorize }
}
