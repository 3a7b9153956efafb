/**
 * Verifies a token the verifier has not seen before: its shape, protected
 * header, issuer profile (from the unverified `iss`), key, signature and
 * claims, in that order, then builds the frozen result the cache will hand
 * out. jose's rules are kept in compact-jws.ts and jwt-claims.ts; m2m-guard's
 * own follow (claims.ts, ../issuers/, ../policy/).
 */

import { errors, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'
import { checkIssuerBinding } from '../issuers/issuer-checks.js'
import type { ResolvedProfile } from '../issuers/profile.js'
import type { IssuerIndex, ProfileMatch } from '../issuers/select-profile.js'
import type { VerificationKey } from '../keys/verification-key.js'
import type { Observer } from '../observe/observer.js'
import { bindingOf } from '../policy/binding.js'
import { clientNotAllowed, readClientId } from '../policy/clients.js'
import { checkRequiredClaims } from '../policy/required-claims.js'
import { scopeReader } from '../policy/scopes.js'
import type { AuthResult } from '../types.js'
import { checkClaimTypes, validUntil } from './claims.js'
import { type CompactJws, isCompactJws, parseCompactJws } from './compact-jws.js'
import { fromJoseError } from './jose-errors.js'
import { decodeClaimsSet, validateClaimsSet } from './jwt-claims.js'
import { valueSharer } from './shared-values.js'
import { signatureDispatch } from './signature-dispatch.js'
import { suffixSlot, type TokenCache } from './token-cache.js'
import { deepFreeze, verifiedTokenClass } from './verified-token.js'

interface PendingVerification {
  token: string
  verification?: Promise<AuthResult>
}

// Slots for verifications under way: more than the requests a server has in flight at once.
const PENDING_SLOTS = 64

// Headers differ by key (kid, alg) and issuer habits, not by token: a few dozen is plenty.
const MAX_KNOWN_HEADERS = 32

// The issuer profile a refused token had selected, for the `token_rejected` event.
const refusedBy = new WeakMap<object, ResolvedProfile>()

/** The issuer profile that refused `error`'s token, if the token got as far as selecting one. */
export function profileOfRefusal(error: unknown): ResolvedProfile | undefined {
  return typeof error === 'object' && error !== null ? refusedBy.get(error) : undefined
}

/** What {@link newTokenVerifier} gives a verifier. */
export interface NewTokenVerifier {
  /**
   * Verifies a token not found in the cache, and caches it. Rejects with
   * AuthErrors (jose's errors already mapped). `shapeChecked`: the caller has
   * seen `isCompactJws(token)`.
   */
  verify(token: string, now: number, shapeChecked: boolean): Promise<AuthResult>
  /** True if `value` is a result this verifier produced (not a copy, not another verifier's). */
  owns(value: unknown): value is AuthResult
  /** The issuer profile that accepted a result this verifier produced. */
  profileOf(auth: AuthResult): ResolvedProfile | undefined
}

/** Returns what verifies new tokens for one verifier, and fills its cache. */
export function newTokenVerifier(
  issuers: IssuerIndex,
  realm: string | undefined,
  cache: TokenCache | undefined,
  observer: Observer,
): NewTokenVerifier {
  // New tokens being verified, so that requests bringing one together share one
  // verification: a small table indexed by the token's last characters (signature
  // bytes), not a Map (hashing, adding and deleting a key per new token cost
  // ~0.4 µs). A slot held by another token means no sharing, never a wrong answer.
  const pending: (PendingVerification | undefined)[] = new Array(PENDING_SLOTS)
  const signatures = signatureDispatch()

  const VerifiedToken = verifiedTokenClass()
  const readScopes = scopeReader()
  const shareValues = valueSharer()
  // Protected headers of tokens that verified, by their encoded form: a client's
  // tokens share one header (alg, kid, typ), so its next token skips decoding
  // it. Only verified tokens' headers enter, so forged ones cannot fill it.
  const knownHeaders = new Map<string, JWTHeaderParameters>()

  const malformed = (description: string, cause?: unknown) =>
    new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
  const invalidClaim = (description: string) =>
    new InvalidTokenError({ reason: 'invalid_claim', description, realm })

  /** The token's parts, once its shape and header pass; before any key lookup. */
  function parse(token: string, shapeChecked: boolean): { jws: CompactJws; payload: JWTPayload } {
    if (!shapeChecked && !isCompactJws(token)) throw malformed('token is not a signed JWT')
    try {
      const jws = parseCompactJws(token, knownHeaders)
      // Unverified yet: read only to pick the issuer profile, whose keys then decide.
      return { jws, payload: decodeClaimsSet(token.slice(jws.headerEnd + 1, jws.payloadEnd)) }
    } catch (error) {
      throw fromJoseError(error, realm)
    }
  }

  /** Header rules of the token's issuer profile; before any key lookup. */
  function checkHeader(jws: CompactJws, profile: ResolvedProfile): void {
    // Refuse before any key lookup: an unsigned or HMAC token must not even cause a fetch.
    if (!profile.allowedAlgorithms.has(jws.header.alg)) {
      throw new InvalidTokenError({
        reason: 'algorithm_not_allowed',
        description: 'token algorithm not allowed',
        realm,
      })
    }
    if (jws.header.kid !== undefined && typeof jws.header.kid !== 'string') {
      throw malformed("token 'kid' must be a string")
    }
    for (const [name, description] of profile.refuseHeaders) {
      if (Object.hasOwn(jws.header, name)) {
        throw new InvalidTokenError({ reason: 'audience_mismatch', description, realm })
      }
    }
  }

  /** The result, once the signature is known good: jose's claim checks, then m2m-guard's; cached. */
  function result(
    jws: CompactJws,
    payload: JWTPayload,
    match: ProfileMatch,
    key: VerificationKey,
    now: number,
  ): AuthResult {
    const { profile } = match
    try {
      validateClaimsSet(jws.header, payload, profile, now)
    } catch (error) {
      throw fromJoseError(error, realm)
    }
    checkClaimTypes(payload, Math.floor(now / 1000), profile.clockTolerance, realm)
    checkIssuerBinding(match, payload, key, realm)
    checkRequiredClaims(payload, profile.requiredClaims, realm)
    shareValues(payload, profile)
    const scopes = readScopes(payload, profile.scopeClaims)
    if (!scopes.ok) {
      throw invalidClaim(`'${scopes.claim}' claim must be a space-delimited string or an array of strings`)
    }
    const client = readClientId(payload, profile.clientIdClaims)
    if (!client.ok) throw invalidClaim(`'${client.claim}' claim must be a non-empty string`)
    if (
      profile.clients !== undefined &&
      (client.clientId === undefined || !profile.clients.includes(client.clientId))
    ) {
      throw clientNotAllowed(client.clientId, realm)
    }
    const auth = new VerifiedToken(
      {
        issuer: payload.iss as string,
        clientId: client.clientId,
        scopes: scopes.scopes,
        payload: deepFreeze(payload),
        header: rememberHeader(jws),
        token: jws.token,
        binding: bindingOf(payload.cnf),
      },
      profile,
    )
    cache?.set(
      jws.token,
      auth,
      key,
      profile,
      validUntil(payload, profile.clockTolerance, profile.maxTokenAge),
    )
    if (observer.watching()) {
      observer.emit({
        type: 'token_verified',
        issuer: profile.id,
        clientId: auth.clientId,
        kid: auth.header.kid,
        alg: auth.header.alg,
      })
    }
    return auth
  }

  /** The verified token's header, frozen, kept for the next token that carries the same one. */
  function rememberHeader(jws: CompactJws): Readonly<JWTHeaderParameters> {
    // Frozen: it came from knownHeaders (a parsed header never is), so it is there already.
    if (Object.isFrozen(jws.header)) return jws.header
    const segment = jws.token.slice(0, jws.headerEnd)
    if (knownHeaders.size >= MAX_KNOWN_HEADERS) knownHeaders.clear()
    knownHeaders.set(segment, deepFreeze(jws.header))
    return jws.header
  }

  function verify(token: string, now: number, shapeChecked: boolean): Promise<AuthResult> {
    if (cache === undefined) return verifyNew(token, now, shapeChecked)
    const slot = suffixSlot(token, PENDING_SLOTS)
    const joined = pending[slot]
    if (joined?.token === token) return joined.verification as Promise<AuthResult>
    // Listed before it starts: a token refused at once leaves (in verifyNew's finally) before this returns.
    const entry: PendingVerification = { token }
    pending[slot] = entry
    entry.verification = verifyNew(token, now, shapeChecked, entry)
    return entry.verification
  }

  async function verifyNew(token: string, now: number, shapeChecked: boolean, entry?: PendingVerification) {
    let match: ProfileMatch | undefined
    signatures.begin()
    try {
      const { jws, payload } = parse(token, shapeChecked)
      match = issuers.select(payload.iss)
      checkHeader(jws, match.profile)
      const { keys } = match.profile
      const { kid, alg } = jws.header
      // Always one turn of the microtask queue before the signature: requests in flight
      // together overlap here, and signature-dispatch.ts sends their checks to the thread
      // pool. Keys at hand (the common case) cost no promise of their own.
      const candidates = await (keys.candidatesNow(kid, alg, now) ?? keys.candidates(kid, alg))
      if (candidates.length === 0) {
        throw new InvalidTokenError({
          reason: 'unknown_key',
          description: 'no key found to verify the token',
          realm,
        })
      }
      for (const key of candidates) {
        const verdict = signatures.check(jws, key.signatureKey, alg)
        // On this thread node:crypto answers at once: no await, so no extra turn of the microtask queue.
        if (verdict === true || (verdict !== false && (await verdict)))
          return result(jws, payload, match, key, now)
      }
      throw fromJoseError(new errors.JWSSignatureVerificationFailed(), realm)
    } catch (error) {
      if (match !== undefined && typeof error === 'object' && error !== null)
        refusedBy.set(error, match.profile)
      throw error
    } finally {
      signatures.end()
      if (entry !== undefined && pending[suffixSlot(token, PENDING_SLOTS)] === entry) {
        pending[suffixSlot(token, PENDING_SLOTS)] = undefined
      }
    }
  }

  return { verify, owns: VerifiedToken.owns, profileOf: VerifiedToken.profileOf }
}
