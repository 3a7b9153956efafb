/**
 * Wraps the verifier's entry points so that each call, once settled, becomes
 * one {@link VerificationEvent}. While nobody wants them, the wrapper only
 * calls through: no timer, no extra promise. (`usage` is fed by the verifier
 * itself, where a call is accepted: no promise per call either.)
 */
import { AuthError } from '../errors.js'
import type { Requirement } from '../policy/requirement.js'
import type { AuthResult } from '../types.js'
import type { Observer } from './observer.js'

/** What the wrapper needs from the verifier it wraps. */
export interface CallObservers {
  observer: Observer
  /** The configured issuer profile's id of a result this verifier produced. */
  profileIdOf(auth: AuthResult): string | undefined
}

/** `call` (an entry point taking the requirement second), observed. */
export function observedCall<First, Third>(
  call: (first: First, requirement?: Requirement, third?: Third) => Promise<AuthResult>,
  { observer, profileIdOf }: CallObservers,
): (first: First, requirement?: Requirement, third?: Third) => Promise<AuthResult> {
  return (first, requirement, third) => {
    if (!observer.watchingVerifications()) return call(first, requirement, third)
    const started = performance.now()
    const result = call(first, requirement, third)
    result.then(
      (auth) => {
        observer.emit({
          type: 'verification',
          outcome: 'accepted',
          issuer: profileIdOf(auth),
          clientId: auth.clientId,
          reason: undefined,
          status: 200,
          durationMs: performance.now() - started,
        })
      },
      (error: unknown) => {
        // A TypeError is the caller's programming error, not a verification.
        if (!(error instanceof AuthError)) return
        const concerned = observer.rejectionOf(error)
        observer.emit({
          type: 'verification',
          outcome: 'rejected',
          issuer: concerned?.issuer,
          clientId: concerned?.clientId,
          reason: error.reason,
          status: error.status,
          durationMs: performance.now() - started,
        })
      },
    )
    return result
  }
}
