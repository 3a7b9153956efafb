/**
 * How the verifier says no: every refusal leaves as an AuthError, carries
 * the challenges of every scheme the verifier accepts, and is reported once
 * (`token_rejected`, the `m2m-guard:verifier` channel, metrics).
 */
import type { ChallengeScheme } from '../challenge.js'
import { AuthError, addDpopChallenge, addResourceMetadata, InvalidTokenError } from '../errors.js'
import type { EventHandler } from '../events.js'
import type { ResolvedProfile } from '../issuers/profile.js'
import { bindingError } from '../policy/binding-errors.js'
import type { ResolvedBinding } from '../policy/binding-options.js'
import { profileOfRefusal } from '../token/new-token.js'
import type { AuthResult } from '../types.js'
import type { Observer } from './observer.js'

/** What a rejection needs from the verifier that refuses. */
export interface RejectionContext {
  realm: string | undefined
  binding: ResolvedBinding
  /** The RFC 9728 metadata URL named in every challenge, when configured. */
  metadataUrl: string | undefined
  observer: Observer
  emit: EventHandler
  /** The configured issuer profile of a result this verifier produced. */
  profileOf(auth: AuthResult): ResolvedProfile | undefined
}

/** The verifier's two ways of refusing: throwing, or handing the error back for a rejected promise. */
export interface Rejections {
  /**
   * Reports a rejection and guarantees that only AuthErrors leave the
   * verifier, challenged for every scheme it accepts (the error on `scheme`).
   */
  rejected(error: unknown, auth?: AuthResult, scheme?: ChallengeScheme): never
  /** `rejected` as a value, for the paths that return promises instead of throwing. */
  reported(error: unknown): unknown
}

/**
 * A 401 `token_malformed`: what an error that is not already an AuthError becomes.
 *
 * @example
 * throw malformedToken('token must be a non-empty string', 'orders')
 */
export function malformedToken(
  description: string,
  realm: string | undefined,
  cause?: unknown,
): InvalidTokenError {
  return new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
}

/**
 * The {@link Rejections} of one verifier.
 *
 * @example
 * const { rejected, reported } = rejections({ realm, binding, metadataUrl, observer, emit, profileOf })
 * try { checkRequirement(auth, requirement, realm) } catch (error) { rejected(error, auth) }
 */
export function rejections(context: RejectionContext): Rejections {
  const { realm, binding, metadataUrl, observer, emit, profileOf } = context

  function rejected(error: unknown, auth?: AuthResult, scheme: ChallengeScheme = 'Bearer'): never {
    const converted = bindingError(error, realm)
    const authError =
      converted instanceof AuthError ? converted : malformedToken('malformed token', realm, error)
    if (binding.dpop !== undefined) {
      const nonce = authError.status === 401 ? binding.nonces?.current() : undefined
      addDpopChallenge(authError, { ...binding.schemes, errorOn: scheme }, nonce)
    }
    if (metadataUrl !== undefined) addResourceMetadata(authError, metadataUrl)
    if (authError.reason === 'replay_store_unavailable') {
      emit?.({ type: 'replay_store_failed', error: String((error as Error)?.cause ?? error) })
    }
    // Nobody listening: build no event (a flood of forged tokens costs no allocation here).
    if (observer.watching() || observer.watchingVerifications()) {
      const profile = auth === undefined ? profileOfRefusal(error) : profileOf(auth)
      emit({
        type: 'token_rejected',
        status: authError.status,
        reason: authError.reason,
        description: authError.description,
        ...(profile === undefined ? {} : { issuer: profile.id }),
        ...(auth?.clientId === undefined ? {} : { clientId: auth.clientId }),
      })
      observer.noteRejection(authError, profile?.id, auth?.clientId)
    }
    throw authError
  }

  function reported(error: unknown): unknown {
    try {
      rejected(error)
    } catch (authError) {
      return authError
    }
  }

  return { rejected, reported }
}
