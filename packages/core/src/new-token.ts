/**
 * Verifies a token the verifier has not seen before: its shape, protected
 * header, key, signature and claims, in that order, then builds the frozen
 * result the cache will hand out. jose's rules are kept in jws.ts and
 * jwt-claims.ts; m2m-guard's own follow (claims.ts, scopes.ts, clients.ts).
 */
import { errors, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { checkClaimTypes, validUntil } from './claims.js'
import { readClientId } from './clients.js'
import { InvalidTokenError } from './errors.js'
import { fromJoseError } from './jose-errors.js'
import { type CompactJws, parseCompactJws, verifySignature } from './jws.js'
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
// One linear regex for the alphabet, then a look at each segment's end: a single
// regex with the canonical rule built in takes over twice as long on a token.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// Last characters whose unused bits are zero: 4 unused bits (length 2 mod 4), 2 (length 3 mod 4).
const LAST_OF_2 = /[AQgw]/
const LAST_OF_3 = /[AEIMQUYcgkosw048]/

function canonicalSegment(token: string, start: number, end: number): boolean {
  const rest = (end - start) % 4
  if (rest === 0) return true
  if (rest === 1) return false
  return (rest === 2 ? LAST_OF_2 : LAST_OF_3).test(token.charAt(end - 1))
}

/** True for three canonical base64url segments. */
function isCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  return (
    canonicalSegment(token, 0, first) &&
    canonicalSegment(token, first + 1, second) &&
    canonicalSegment(token, second + 1, token.length)
  )
}

// Headers differ by key (kid, alg) and issuer habits, not by token: a few dozen is plenty.
const MAX_KNOWN_HEADERS = 32

/** A verified token, the key that verified it, and until when (ms) it stays valid. */
export interface Verified {
  auth: AuthResult
  key: VerificationKey
  validUntil: number
}

/** What {@link newTokenVerifier} gives a verifier. */
export interface NewTokenVerifier {
  /** Verifies a token not seen before. Throws AuthErrors (jose's errors already mapped). */
  verify(token: string, now: number): Promise<Verified>
  /** True if `value` is a result this verifier produced (not a copy, not another verifier's). */
  owns(value: unknown): value is AuthResult
}

/** Returns what verifies new tokens for one verifier. */
export function newTokenVerifier(config: ResolvedOptions, keys: KeySource): NewTokenVerifier {
  const { realm } = config

  // Results are instances of a class made for this verifier: its private field
  // marks what this verifier issued, a brand that no copy or spread carries,
  // and costs nothing to set (adding each result to a WeakSet cost about 1 µs).
  class VerifiedToken implements AuthResult {
    readonly #issuedHere = true
    readonly clientId: string | undefined
    readonly scopes: readonly string[]
    readonly payload: Readonly<JWTPayload>
    readonly header: Readonly<JWTHeaderParameters>
    readonly token: string

    constructor(fields: AuthResult) {
      this.clientId = fields.clientId
      this.scopes = fields.scopes
      this.payload = fields.payload
      this.header = fields.header
      this.token = fields.token
      // Frozen, because the cache hands the same object to every request carrying this token.
      Object.freeze(this)
    }

    static owns(value: unknown): value is AuthResult {
      return typeof value === 'object' && value !== null && #issuedHere in value
    }
  }
  const allowedAlgorithms = new Set<string>(config.algorithms)
  // Protected headers of tokens that verified, by their encoded form: a client's
  // tokens share one header (alg, kid, typ), so its next token skips decoding
  // it. Only verified tokens' headers enter, so forged ones cannot fill it.
  const knownHeaders = new Map<string, JWTHeaderParameters>()
  // Verifications under way. Alone, a signature is checked at once on this
  // thread (a thread-pool round trip costs more than a fast check); when others
  // wait, on libuv's pool, where checks run in parallel and leave the loop free.
  let underWay = 0

  const malformed = (description: string, cause?: unknown) =>
    new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
  const invalidClaim = (description: string) =>
    new InvalidTokenError({ reason: 'invalid_claim', description, realm })

  /** The token's parts, once its shape and header pass; before any key lookup. */
  function parse(token: string): CompactJws {
    if (!isCompactJws(token)) throw malformed('token is not a signed JWT')
    let jws: CompactJws
    try {
      jws = parseCompactJws(token, knownHeaders)
    } catch (error) {
      throw fromJoseError(error, config)
    }
    // Refuse before any key lookup: an unsigned or HMAC token must not even cause a fetch.
    if (!allowedAlgorithms.has(jws.header.alg)) {
      throw new InvalidTokenError({
        reason: 'algorithm_not_allowed',
        description: 'token algorithm not allowed',
        realm,
      })
    }
    if (jws.header.kid !== undefined && typeof jws.header.kid !== 'string') {
      throw malformed("token 'kid' must be a string")
    }
    return jws
  }

  /** The result, once the signature is known good: jose's claim checks, then m2m-guard's. */
  function result(jws: CompactJws, key: VerificationKey, now: number): Verified {
    let payload: JWTPayload
    try {
      payload = decodeClaimsSet(jws.token.slice(jws.headerEnd + 1, jws.payloadEnd))
      validateClaimsSet(jws.header, payload, config, now)
    } catch (error) {
      throw fromJoseError(error, config)
    }
    checkClaimTypes(payload, Math.floor(now / 1000), config.clockTolerance, realm)
    const scopes = readScopes(payload)
    if (scopes === undefined) throw invalidClaim("'scope'/'scp' claim has an invalid type")
    const client = readClientId(payload, config.clientIdClaims)
    if (!client.ok) throw invalidClaim(`'${client.claim}' claim must be a non-empty string`)
    const auth = new VerifiedToken({
      clientId: client.clientId,
      scopes: Object.freeze(scopes),
      payload: deepFreeze(payload),
      header: rememberHeader(jws),
      token: jws.token,
    })
    return { auth, key, validUntil: validUntil(payload, config.clockTolerance, config.maxTokenAge) }
  }

  /** The verified token's header, frozen, kept for the next token that carries the same one. */
  function rememberHeader(jws: CompactJws): Readonly<JWTHeaderParameters> {
    const segment = jws.token.slice(0, jws.headerEnd)
    if (knownHeaders.get(segment) === jws.header) return jws.header
    if (knownHeaders.size >= MAX_KNOWN_HEADERS) knownHeaders.clear()
    knownHeaders.set(segment, deepFreeze(jws.header))
    return jws.header
  }

  async function verifyNew(token: string, now: number): Promise<Verified> {
    underWay++
    try {
      const jws = parse(token)
      const candidates = await keys.candidates(jws.header.kid, jws.header.alg)
      if (candidates.length === 0) {
        throw new InvalidTokenError({
          reason: 'unknown_key',
          description: 'no key found to verify the token',
          realm,
        })
      }
      for (const key of candidates) {
        const valid = verifySignature(jws, key.keyObject, jws.header.alg, underWay > 1)
        // Awaited only when it went to the thread pool: an await costs a turn of the microtask queue.
        if (valid === true || (valid !== false && (await valid))) return result(jws, key, now)
      }
      throw fromJoseError(new errors.JWSSignatureVerificationFailed(), config)
    } finally {
      underWay--
    }
  }

  return { verify: verifyNew, owns: VerifiedToken.owns }
}

// Iterative: a verified token may nest its JSON thousands deep, and recursion would then
// overflow the stack, refusing a valid token or not depending on the caller's stack depth.
function deepFreeze<T>(value: T): Readonly<T> {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === 'object' && next !== null && !Object.isFrozen(next)) {
      Object.freeze(next)
      for (const member of Object.values(next)) pending.push(member)
    }
  }
  return value
}
