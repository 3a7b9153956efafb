/**
 * The verifier's entry points the whole way, for what the immediate answers
 * (immediate-answers.ts) cannot give: the token taken from the header, checked
 * for size, found in the cache or verified as new (token/new-token.ts), then
 * accepted (policy/acceptance.ts). Every refusal leaves reported, as an AuthError.
 */
import { InvalidTokenError } from '../errors.js'
import type { Observer } from '../observe/observer.js'
import { malformedToken, type Rejections } from '../observe/rejections.js'
import type { Acceptance } from '../policy/acceptance.js'
import type { ResolvedBinding } from '../policy/binding-options.js'
import type { Requirement } from '../policy/requirement.js'
import { isCompactJws } from '../token/compact-jws.js'
import type { NewTokenVerifier } from '../token/new-token.js'
import type { TokenCache } from '../token/token-cache.js'
import type { AuthResult, Verifier } from '../types.js'
import { authorizationOf, requestAuthenticator } from './authenticate-request.js'
import { extractBearerToken, isBearerSpace } from './extract-token.js'
import type { ImmediateAnswers } from './immediate-answers.js'
import type { RequestInfo } from './request-info.js'

/** What the entry points need from the verifier. */
export interface EntryPointParts {
  readonly realm: string | undefined
  readonly maxTokenLength: number
  readonly clock: () => number
  readonly cache: TokenCache | undefined
  readonly observer: Observer
  readonly binding: ResolvedBinding
  readonly newTokens: NewTokenVerifier
  readonly immediate: ImmediateAnswers
  readonly acceptance: Acceptance
  readonly rejections: Rejections
}

/** The entry points, unobserved (verifier.ts wraps them for verification events). */
export type EntryPoints = Pick<Verifier, 'verify' | 'authenticate' | 'authenticateRequest' | 'authorize'>

/**
 * The {@link EntryPoints} of one verifier.
 *
 * @example
 * const { authenticate } = entryPoints(parts)
 * const auth = await authenticate('Bearer eyJ…', { scopes: ['orders:read'] })
 */
export function entryPoints(parts: EntryPointParts): EntryPoints {
  const { realm, maxTokenLength, clock, cache, observer, binding, newTokens } = parts
  const { owns } = newTokens
  const { lookup, authenticate: answerNow } = parts.immediate
  const { check, meet, count, counting, accept } = parts.acceptance
  // Typed where declared, so that TypeScript sees the code after a `rejected(…)` call is unreachable.
  const rejected: Rejections['rejected'] = parts.rejections.rejected
  const { reported } = parts.rejections

  /** The verified result for `token`; throws (synchronously too) what `guarded` reports. */
  function verifyToken(token: string, shapeChecked: boolean): AuthResult | Promise<AuthResult> {
    if (typeof token !== 'string' || token === '')
      throw malformedToken('token must be a non-empty string', realm)
    if (token.length > maxTokenLength) {
      throw new InvalidTokenError({
        reason: 'token_too_large',
        description: `token larger than ${maxTokenLength} characters`,
        realm,
      })
    }
    const now = clock()
    // authenticate() passes shapeChecked only after missing the cache a moment ago: no second lookup.
    const hit = shapeChecked ? undefined : lookup(token, now)
    if (hit !== undefined) return hit.auth
    if (cache !== undefined && observer.watching('tokenCache')) observer.emit({ type: 'token_cache_miss' })
    return newTokens.verify(token, now, shapeChecked)
  }

  /**
   * The token verified (cache or signature), then accepted for `requirement`. Not an async
   * function: a new token's verification is one already (token/new-token.ts), and a second
   * async frame around it was an eighth of what a new token allocates (sampling heap profile).
   */
  function guarded(
    token: string,
    requirement: Requirement | undefined,
    shapeChecked = false,
  ): Promise<AuthResult> {
    let verified: AuthResult | Promise<AuthResult>
    try {
      verified = verifyToken(token, shapeChecked)
    } catch (error) {
      return Promise.reject(reported(error))
    }
    if (!(verified instanceof Promise)) {
      try {
        return Promise.resolve(accepted(verified, requirement))
      } catch (error) {
        return Promise.reject(error) // reported where it was thrown
      }
    }
    return verified.then(
      (auth) => accepted(auth, requirement),
      (error: unknown) => rejected(error),
    )
  }

  /** `auth`, once it meets `requirement` (or the refusal, thrown), counted. */
  function accepted(auth: AuthResult, requirement: Requirement | undefined): AuthResult {
    meet(auth, requirement)
    return count(auth, requirement)
  }

  function authenticate(authorization: string | undefined, requirement?: Requirement): Promise<AuthResult> {
    return answerNow(authorization, requirement) ?? authenticateNew(authorization, requirement)
  }

  /** `authenticate` for a token not in the cache. */
  function authenticateNew(
    authorization: string | undefined,
    requirement?: Requirement,
  ): Promise<AuthResult> {
    if (typeof authorization === 'string' && isBearerSpace(authorization)) {
      // A compact JWS is a b64token without whitespace, exactly what extraction
      // would return: skip extraction, and its second pass over the token.
      const token = authorization.slice(7)
      if (token.length <= maxTokenLength && isCompactJws(token)) return guarded(token, requirement, true)
    }
    let token: string
    try {
      token = extractBearerToken(authorization, { maxLength: maxTokenLength, realm })
    } catch (error) {
      return Promise.reject(reported(error))
    }
    return guarded(token, requirement)
  }

  const boundRequest = binding.enabled
    ? requestAuthenticator({
        binding,
        realm,
        maxTokenLength,
        clock,
        verifyToken: (token) => verifyToken(token, false),
        check,
        rejected,
      })
    : undefined

  function authenticateRequest(request: RequestInfo, requirement?: Requirement): Promise<AuthResult> {
    if (typeof request !== 'object' || request === null || typeof request.headers !== 'object') {
      return Promise.reject(new TypeError('authenticateRequest needs a RequestInfo { method, url, headers }'))
    }
    if (boundRequest !== undefined) {
      const accepted = boundRequest(request, requirement)
      return counting ? accepted.then((auth) => count(auth, requirement)) : accepted
    }
    // No binding configured: the Authorization header is all that counts, on the fast path.
    let authorization: string | undefined
    try {
      authorization = authorizationOf(request.headers, realm)
    } catch (error) {
      return Promise.reject(reported(error))
    }
    return authenticate(authorization, requirement)
  }

  function authorize(
    request: RequestInfo | string | undefined,
    requirement?: Requirement,
    current?: unknown,
  ) {
    if (owns(current)) return accept(current, requirement, undefined, undefined, true)
    if (typeof request === 'object' && request !== null) return authenticateRequest(request, requirement)
    return authenticate(request, requirement)
  }

  return {
    verify: (token, requirement) => guarded(token, requirement),
    authenticate,
    authenticateRequest,
    authorize,
  }
}
