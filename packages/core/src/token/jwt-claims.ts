/**
 * The claims half of verifying a token: the checks jose's `jwtVerify` makes on
 * the claims set, in jose's order, with jose's error classes (so they map to
 * the same reasons). It lives here because jose runs them only inside
 * `jwtVerify`, after its own WebCrypto signature check (see signature-node.ts); the
 * differential test holds it to jose's verdict. Rules jose leaves to the
 * application are in claims.ts.
 */
import { errors, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { decodeSegment, parseJsonObject } from './compact-jws.js'

/**
 * What the claims must satisfy: the issuer profile's options, resolved once.
 * The issuer is not among them: it chose the profile (issuers/select-profile.ts).
 */
export interface ClaimsPolicy {
  /** `null`: no `aud` check (a profile with stand-ins for it). */
  readonly audiences: readonly string[] | null
  /** Seconds. */
  readonly clockTolerance: number
  /** Seconds, if `iat` must be this recent. */
  readonly maxTokenAge: number | undefined
  /** Demand `typ: at+jwt` (RFC 9068), compared as jose compares media types. */
  readonly requireTyp: boolean
}

const EXPECTED_TYP = 'application/at+jwt'
// In the order jose checks presence: iss, aud (when configured), iat (with maxTokenAge), exp (RFC 9068).
const REQUIRED = ['iss', 'aud', 'exp'] as const
const REQUIRED_WITH_IAT = ['iss', 'aud', 'iat', 'exp'] as const
const REQUIRED_NO_AUD = ['iss', 'exp'] as const
const REQUIRED_NO_AUD_WITH_IAT = ['iss', 'iat', 'exp'] as const
const normalizeTyp = (typ: string) =>
  typ.includes('/') ? typ.toLowerCase() : `application/${typ.toLowerCase()}`

const failed = (payload: JWTPayload, claim: string, message: string) =>
  new errors.JWTClaimValidationFailed(message, payload, claim, 'check_failed')

/** Decodes the payload segment into a claims set; throws jose's `JWSInvalid` or `JWTInvalid`. */
export function decodeClaimsSet(payloadSegment: string): JWTPayload {
  const claims = parseJsonObject(decodeSegment(payloadSegment, 'payload'))
  if (claims === undefined) throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object')
  return claims as JWTPayload
}

/** jose's `validateNumericDate`: absent is fine unless required; present must be a number. */
function numericDate(
  payload: JWTPayload,
  claim: 'iat' | 'nbf' | 'exp',
  required: boolean,
): number | undefined {
  const value = payload[claim]
  if (value === undefined && !required) return undefined
  if (typeof value !== 'number') {
    throw new errors.JWTClaimValidationFailed(`"${claim}" claim must be a number`, payload, claim, 'invalid')
  }
  return value
}

/**
 * Throws jose's error for the first claim that fails: `typ`, then presence of
 * `iss`, `aud` (unless `audiences` is null), `iat` (with `maxTokenAge`) and
 * `exp`, then `aud`, `nbf`, `exp` and the token's age, at `nowMs` with the
 * clock tolerance.
 */
export function validateClaimsSet(
  header: JWTHeaderParameters,
  payload: JWTPayload,
  policy: ClaimsPolicy,
  nowMs: number,
): void {
  if (policy.requireTyp && (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== EXPECTED_TYP)) {
    throw failed(payload, 'typ', 'unexpected "typ" JWT header value')
  }
  const { maxTokenAge, audiences } = policy
  const required =
    audiences === null
      ? maxTokenAge === undefined
        ? REQUIRED_NO_AUD
        : REQUIRED_NO_AUD_WITH_IAT
      : maxTokenAge === undefined
        ? REQUIRED
        : REQUIRED_WITH_IAT
  for (const claim of required) {
    if (!Object.hasOwn(payload, claim)) {
      throw new errors.JWTClaimValidationFailed(
        `missing required "${claim}" claim`,
        payload,
        claim,
        'missing',
      )
    }
  }
  if (audiences !== null) {
    const { aud } = payload
    const audienceMatches =
      typeof aud === 'string'
        ? audiences.includes(aud)
        : Array.isArray(aud) && audiences.some((audience) => aud.includes(audience))
    if (!audienceMatches) throw failed(payload, 'aud', 'unexpected "aud" claim value')
  }

  const tolerance = policy.clockTolerance
  const now = Math.floor(nowMs / 1000)
  const iat = numericDate(payload, 'iat', maxTokenAge !== undefined)
  const nbf = numericDate(payload, 'nbf', false)
  if (nbf !== undefined && nbf > now + tolerance)
    throw failed(payload, 'nbf', '"nbf" claim timestamp check failed')
  const exp = numericDate(payload, 'exp', false)
  if (exp !== undefined && exp <= now - tolerance) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed')
  }
  if (maxTokenAge !== undefined) {
    const age = now - (iat as number)
    if (age - tolerance > maxTokenAge) {
      throw new errors.JWTExpired(
        '"iat" claim timestamp check failed (too far in the past)',
        payload,
        'iat',
        'check_failed',
      )
    }
    if (age < -tolerance)
      throw failed(payload, 'iat', '"iat" claim timestamp check failed (it should be in the past)')
  }
}
