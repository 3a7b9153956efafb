/**
 * Wraps the verifier's entry points so that each call, once settled, becomes
 * one {@link VerificationEvent}. While nobody wants them, the wrapper only
 * calls through: no timer, no extra promise. (`usage` is fed by the verifier
 * itself, where a call is accepted: no promise per call either.)
 *
 * A call the verifier answers without waiting (a reused token found in the
 * cache, or `authorize` with the result of an earlier guard) returns a promise
 * that is already settled. Such an answer is reported with `durationMs: 0`,
 * untimed: its work takes a fraction of a microsecond, and two clock reads
 * cost about as much again (observed cache hits: 0.91x the unobserved ones
 * without them, 0.55x with them, measured side by side in one process).
 * An acceptance is reported as soon as the call returns (the verifier says so
 * through {@link VerificationCalls.acceptedNow}): no `.then`, no closure, no
 * promise of its own. Other calls are timed from the call to the verdict and
 * reported when their promise settles, before any code awaiting it resumes.
 */
import { AuthError } from '../errors.js'
import type { Requirement } from '../policy/requirement.js'
import type { AuthResult } from '../types.js'
import type { Observer } from './observer.js'

/** An entry point taking the requirement second. */
type EntryPoint<First, Third> = (
  first: First,
  requirement?: Requirement,
  third?: Third,
) => Promise<AuthResult>

/** One verifier's verification events, and the wrapper of its entry points. */
export class VerificationCalls {
  readonly #observer: Observer
  readonly #profileIdOf: (auth: AuthResult) => string | undefined
  /** Set by {@link acceptedNow} during the call in progress; read (and cleared) once it returns. */
  #accepted: AuthResult | undefined
  #acceptedIssuer: string | undefined

  /** `profileIdOf`: the configured issuer profile's id of a result this verifier produced. */
  constructor(observer: Observer, profileIdOf: (auth: AuthResult) => string | undefined) {
    this.#observer = observer
    this.#profileIdOf = profileIdOf
  }

  /**
   * The call in progress is accepted with `auth`, and the promise it returns is
   * already settled. `issuer`: the profile's id, where the caller has it at hand.
   * Cheap enough to call whether anyone observes or not (two field writes).
   */
  acceptedNow(auth: AuthResult, issuer: string | undefined): void {
    this.#accepted = auth
    this.#acceptedIssuer = issuer
  }

  /**
   * `call`, observed. `answerNow`, if given, tries the answers the verifier
   * gives without waiting (a reused token from the cache) and returns a settled
   * promise, or undefined to go on with `call`: such answers need no clock.
   */
  observed<First, Third>(
    call: EntryPoint<First, Third>,
    answerNow?: (
      first: First,
      requirement: Requirement | undefined,
      third: Third | undefined,
    ) => Promise<AuthResult> | undefined,
  ): EntryPoint<First, Third> {
    return (first, requirement, third) => {
      if (!this.#observer.watchingVerifications()) return call(first, requirement, third)
      if (answerNow !== undefined) {
        this.#accepted = undefined
        const answered = answerNow(first, requirement, third)
        if (answered !== undefined) {
          const accepted = this.#accepted
          this.#accepted = undefined
          if (accepted === undefined) void this.#reportSettled(answered, undefined)
          else this.#reportAccepted(accepted, this.#acceptedIssuer ?? this.#profileIdOf(accepted), undefined)
          return answered
        }
      }
      const started = performance.now()
      const result = call(first, requirement, third)
      void this.#reportSettled(result, started)
      return result
    }
  }

  /** Waits for `result` (registered before the caller can await it, so reported first). */
  async #reportSettled(result: Promise<AuthResult>, started: number | undefined): Promise<void> {
    let auth: AuthResult
    try {
      auth = await result
    } catch (error) {
      this.#reportRejected(error, started)
      return
    }
    this.#reportAccepted(auth, this.#profileIdOf(auth), started)
  }

  #reportAccepted(auth: AuthResult, issuer: string | undefined, started: number | undefined): void {
    this.#observer.emit({
      type: 'verification',
      outcome: 'accepted',
      issuer,
      clientId: auth.clientId,
      reason: undefined,
      status: 200,
      durationMs: elapsedSince(started),
    })
  }

  #reportRejected(error: unknown, started: number | undefined): void {
    // A TypeError is the caller's programming error, not a verification.
    if (!(error instanceof AuthError)) return
    const concerned = this.#observer.rejectionOf(error)
    this.#observer.emit({
      type: 'verification',
      outcome: 'rejected',
      issuer: concerned?.issuer,
      clientId: concerned?.clientId,
      reason: error.reason,
      status: error.status,
      durationMs: elapsedSince(started),
    })
  }
}

/** ms since `started`; 0 for an answer given without waiting (`started` undefined), which is not timed. */
function elapsedSince(started: number | undefined): number {
  return started === undefined ? 0 : performance.now() - started
}
