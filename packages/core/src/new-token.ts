/**
 * Verifies a token the verifier has not seen before: its shape, protected
 * header, key, signature and claims, in that order, then builds the frozen
 * result the cache will hand out. jose's rules are kept in jws.ts and
 * jwt-claims.ts; m2m-guard's own follow (claims.ts, scopes.ts, clients.ts).
 */
import { errors } from 'jose'
import { checkClaimTypes, validUntil } from './claims.js'
import { readClientId } from './clients.js'
import { InvalidTokenError } from './errors.js'
import { fromJoseError } from './jose-errors.js'
import { parseCompactJws, verifySignature } from './jws.js'
import { decodeClaimsSet, validateClaimsSet } from './jwt-claims.js'
import type { KeySource } from './keys/key-source.js'
import type { VerificationKey } from './keys/verification-key.js'
import type { ResolvedOptions } from './options.js'
import { readScopes } from './scopes.js'
import type { AuthResult } from './types.js'

// Three non-empty base64url segments: a JWS in compact serialization (a JWE has five).
// Each segment must be canonical (RFC 4648 §3.5): the unused low bits of its last
// character are zero and no length is 1 mod 4. Decoders ignore those bits, so without
// this check one signed token has up to 16 spellings per segment that all verify.
const SEGMENT =
  '(?=[A-Za-z0-9_-])(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]|[A-Za-z0-9_-][AQgw])?'
const COMPACT_JWS = new RegExp(`^${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}$`)

/** A verified token, the key that verified it, and until when (ms) it stays valid. */
export interface Verified {
  auth: AuthResult
  key: VerificationKey
  validUntil: number
}

/**
 * Returns the function that verifies new tokens for one verifier. Any error
 * it throws is an AuthError or a jose error that `fromJoseError` maps.
 */
export function newTokenVerifier(
  config: ResolvedOptions,
  keys: KeySource,
): (token: string, now: number) => Promise<Verified> {
  const { realm } = config
  const allowedAlgorithms = new Set<string>(config.algorithms)
  // Verifications under way. Alone, a signature is checked at once on this
  // thread (a thread-pool round trip costs more than a fast check); when others
  // wait, on libuv's pool, where checks run in parallel and leave the loop free.
  let underWay = 0

  const malformed = (description: string, cause?: unknown) =>
    new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
  const invalidClaim = (description: string) =>
    new InvalidTokenError({ reason: 'invalid_claim', description, realm })

  async function verifyNew(token: string, now: number): Promise<Verified> {
    if (!COMPACT_JWS.test(token)) throw malformed('token is not a signed JWT')
    let jws: ReturnType<typeof parseCompactJws>
    try {
      jws = parseCompactJws(token)
    } catch (error) {
      throw fromJoseError(error, config)
    }
    const { header } = jws
    // Refuse before any key lookup: an unsigned or HMAC token must not even cause a fetch.
    if (!allowedAlgorithms.has(header.alg)) {
      throw new InvalidTokenError({
        reason: 'algorithm_not_allowed',
        description: 'token algorithm not allowed',
        realm,
      })
    }
    if (header.kid !== undefined && typeof header.kid !== 'string')
      throw malformed("token 'kid' must be a string")

    const candidates = await keys.candidates(header.kid, header.alg)
    if (candidates.length === 0) {
      throw new InvalidTokenError({
        reason: 'unknown_key',
        description: 'no key found to verify the token',
        realm,
      })
    }
    let key: VerificationKey | undefined
    for (const candidate of candidates) {
      if (await verifySignature(jws, candidate.keyObject, header.alg, underWay > 1)) {
        key = candidate
        break
      }
    }
    if (key === undefined) throw fromJoseError(new errors.JWSSignatureVerificationFailed(), config)

    let payload: ReturnType<typeof decodeClaimsSet>
    try {
      payload = decodeClaimsSet(token.slice(jws.headerEnd + 1, jws.payloadEnd))
      validateClaimsSet(header, payload, config, now)
    } catch (error) {
      throw fromJoseError(error, config)
    }
    checkClaimTypes(payload, Math.floor(now / 1000), config.clockTolerance, realm)
    const scopes = readScopes(payload)
    if (scopes === undefined) throw invalidClaim("'scope'/'scp' claim has an invalid type")
    const client = readClientId(payload, config.clientIdClaims)
    if (!client.ok) throw invalidClaim(`'${client.claim}' claim must be a non-empty string`)
    // Frozen, because the cache hands the same object to every request carrying this token.
    const auth: AuthResult = Object.freeze({
      clientId: client.clientId,
      scopes: Object.freeze(scopes),
      payload: deepFreeze(payload),
      header: deepFreeze(header),
      token,
    })
    return { auth, key, validUntil: validUntil(payload, config.clockTolerance, config.maxTokenAge) }
  }

  return async (token, now) => {
    underWay++
    try {
      return await verifyNew(token, now)
    } finally {
      underWay--
    }
  }
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
