/**
 * What a verified token must still meet on every request, cached or new: the
 * route's requirement and, for a token that came without its request (verify,
 * authenticate), no binding it cannot prove there. Then the call is accepted:
 * counted (usage) and told to the verification reporter.
 */
import type { ChallengeScheme } from '../challenge.js'
import { MissingTokenError } from '../errors.js'
import type { Rejections } from '../observe/rejections.js'
import type { VerificationCalls } from '../observe/verification-calls.js'
import type { CachedResult } from '../token/token-cache.js'
import type { AuthResult } from '../types.js'
import { checkBearerBinding } from './binding.js'
import type { ResolvedBinding } from './binding-options.js'
import type { DeclaredRequirements } from './declared-requirements.js'
import { checkRequirement, type Requirement } from './requirement.js'
import type { UsageRecorder } from './usage.js'

/** What acceptance needs from the verifier. */
export interface AcceptanceParts {
  readonly realm: string | undefined
  readonly binding: ResolvedBinding
  readonly requirements: DeclaredRequirements
  readonly usage: UsageRecorder | undefined
  readonly calls: VerificationCalls
  readonly clock: () => number
  readonly rejected: Rejections['rejected']
}

/** One verifier's acceptance of verified tokens. */
export interface Acceptance {
  /** Checks `requirement`; throws the reported AuthError (a TypeError for a malformed requirement). */
  check(auth: AuthResult, requirement: Requirement, scheme?: ChallengeScheme): void
  /** {@link check}, and the binding rules of a token that came without its request; throws. */
  meet(auth: AuthResult, requirement: Requirement | undefined): void
  /** `auth`, counted (usage) as accepted for `requirement`, which it has met. */
  count(auth: AuthResult, requirement: Requirement | undefined): AuthResult
  /** Whether {@link count} counts anything (`usage` is on). */
  readonly counting: boolean
  /**
   * `auth`, once it meets `requirement`, counted and as a settled promise (the
   * cached one, for a hit `entry`): no async frame. `now`: the clock's reading,
   * if taken; `proven`: an earlier guard authenticated this very request, binding included.
   */
  accept(
    auth: AuthResult,
    requirement: Requirement | undefined,
    now: number | undefined,
    entry?: CachedResult,
    proven?: boolean,
  ): Promise<AuthResult>
}

/**
 * The {@link Acceptance} of one verifier.
 *
 * @example
 * const { accept } = acceptance({ realm, binding, requirements, usage, calls, clock, rejected })
 * return accept(hit.auth, requirement, now, hit) // settled: resolved, or rejected with an AuthError
 */
export function acceptance(parts: AcceptanceParts): Acceptance {
  const { realm, binding, requirements, usage, calls, clock, rejected } = parts
  // Unbound tokens that still need a look: every one, when a binding is required.
  const strict = binding.dpop?.required === true || binding.mtls?.required === true

  function check(auth: AuthResult, requirement: Requirement, scheme: ChallengeScheme = 'Bearer'): void {
    try {
      requirements.validateChecked(requirement)
      checkRequirement(auth, requirement, realm)
    } catch (error) {
      if (error instanceof TypeError) throw error // a programming error in the requirement, not a client error
      rejected(error, auth, scheme)
    }
  }

  /** Bound tokens cannot prove possession without their request, and a required binding is missing. */
  function refuseUnproven(auth: AuthResult): void {
    try {
      if (binding.dpop?.required === true) {
        throw new MissingTokenError({
          reason: 'dpop_required',
          description: 'DPoP authentication required',
          realm,
        })
      }
      checkBearerBinding(auth.payload, undefined, binding)
    } catch (error) {
      rejected(error, auth)
    }
  }

  function meet(auth: AuthResult, requirement: Requirement | undefined): void {
    if (strict || auth.payload.cnf !== undefined) refuseUnproven(auth)
    if (requirement !== undefined) check(auth, requirement)
  }

  function count(auth: AuthResult, requirement: Requirement | undefined): AuthResult {
    usage?.record(auth, requirement, clock())
    return auth
  }

  function accept(
    auth: AuthResult,
    requirement: Requirement | undefined,
    now: number | undefined,
    entry?: CachedResult,
    proven = false,
  ): Promise<AuthResult> {
    try {
      if (!proven && (strict || auth.payload.cnf !== undefined)) refuseUnproven(auth)
      if (requirement !== undefined) check(auth, requirement)
    } catch (error) {
      return Promise.reject(error)
    }
    // A hit is counted through its cache entry: a few field writes, no lookup.
    usage?.record(auth, requirement, now ?? clock(), entry)
    calls.acceptedNow(auth, entry?.profile.id)
    return entry?.settled ?? Promise.resolve(auth)
  }

  return { check, meet, count, counting: usage !== undefined, accept }
}
