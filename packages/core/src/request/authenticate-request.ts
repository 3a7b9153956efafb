/**
 * `verifier.authenticateRequest`: the whole request, so that DPoP-bound and
 * certificate-bound tokens can be checked against what proves possession
 * (the `DPoP` proof, the client certificate). The order is fixed: the
 * Authorization header, the token (cache or signature), the binding (the
 * proof and, last of all, the replay store), then the route's requirement.
 */
import type { ChallengeScheme } from '../challenge.js'
import { InvalidRequestError, MissingTokenError } from '../errors.js'
import { checkBinding } from '../policy/binding.js'
import type { ResolvedBinding } from '../policy/binding-options.js'
import type { Requirement } from '../policy/requirement.js'
import type { AuthResult } from '../types.js'
import { extractCredentials } from './extract-token.js'
import { headerValues, type RequestHeaders, type RequestInfo } from './request-info.js'

/** What the verifier lends the request path. */
export interface RequestAuthenticatorParts {
  readonly binding: ResolvedBinding
  readonly realm: string | undefined
  readonly maxTokenLength: number
  readonly clock: () => number
  /** The verified token, from the cache or its signature; throws what it finds wrong. */
  verifyToken(token: string): AuthResult | Promise<AuthResult>
  /** Checks a requirement; throws the reported AuthError, challenged on `scheme`. */
  check(auth: AuthResult, requirement: Requirement, scheme: ChallengeScheme): void
  /** Reports a refusal (event, challenge on `scheme`) and throws its AuthError; `auth` names the token if verified. */
  rejected(error: unknown, auth: AuthResult | undefined, scheme: ChallengeScheme): never
}

/**
 * The value of the one Authorization header, or undefined. Several are
 * malformed (RFC 9110 §5.3 makes it a singleton field).
 *
 * @example
 * authorizationOf({ authorization: 'Bearer eyJ…' }, undefined) // 'Bearer eyJ…'
 */
export function authorizationOf(headers: RequestHeaders, realm: string | undefined): string | undefined {
  const values = headerValues(headers, 'authorization')
  if (values.length > 1) {
    throw new InvalidRequestError({
      reason: 'malformed_authorization',
      description: 'more than one Authorization header',
      realm,
    })
  }
  return values[0]
}

/** Creates `authenticateRequest` for a verifier whose `dpop` or `mtls` is on. */
export function requestAuthenticator(
  parts: RequestAuthenticatorParts,
): (request: RequestInfo, requirement?: Requirement) => Promise<AuthResult> {
  const { binding, realm, maxTokenLength } = parts
  const dpop = binding.dpop !== undefined
  const dpopRequired = binding.dpop?.required === true
  const mtlsRequired = binding.mtls?.required === true

  return async function authenticateRequest(request, requirement) {
    let scheme: ChallengeScheme = 'Bearer'
    let token: string
    let authorization: string | undefined
    try {
      authorization = authorizationOf(request.headers, realm)
      const credentials = extractCredentials(authorization, {
        maxLength: maxTokenLength,
        realm,
        dpop,
      })
      scheme = credentials.scheme
      token = credentials.token
      if (scheme === 'Bearer' && dpopRequired) {
        // Bearer is not accepted at all: the answer is the no-credentials challenge, DPoP only.
        throw new MissingTokenError({
          reason: 'dpop_required',
          description: 'DPoP authentication required',
          realm,
        })
      }
    } catch (error) {
      // RFC 9449 §7.2: when the scheme is clear, its challenge carries the error.
      parts.rejected(error, undefined, dpop && namesDpop(authorization) ? 'DPoP' : 'Bearer')
    }
    let auth: AuthResult
    try {
      const verified = parts.verifyToken(token)
      // A reused token's result is at hand: no turn of the microtask queue for it.
      auth = verified instanceof Promise ? await verified : verified
    } catch (error) {
      parts.rejected(error, undefined, scheme)
    }
    if (scheme === 'DPoP' || mtlsRequired || auth.payload.cnf !== undefined) {
      try {
        await checkBinding(auth.payload, scheme, auth.token, request, binding, parts.clock())
      } catch (error) {
        parts.rejected(error, auth, scheme)
      }
    }
    if (requirement !== undefined) parts.check(auth, requirement, scheme)
    return auth
  }
}

const DPOP_SCHEME = /^\s*dpop(?:\s|$)/i

/** Whether an Authorization value uses the DPoP scheme, however malformed the rest. */
function namesDpop(authorization: string | undefined): boolean {
  return typeof authorization === 'string' && DPOP_SCHEME.test(authorization)
}
