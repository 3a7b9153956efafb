/**
 * Verifies a token the verifier has not seen before: its shape, protected
 * header, key, signature and claims, in that order, then builds the frozen
 * result the cache will hand out. jose's rules are kept in compact-jws.ts and
 * jwt-claims.ts; m2m-guard's own follow (claims.ts, ../policy/scopes.ts, ../policy/clients.ts).
 */
import { errors, type JWTHeaderParameters, type JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'
import type { EventHandler } from '../events.js'
import type { KeySource } from '../keys/key-source.js'
import type { VerificationKey } from '../keys/verification-key.js'
import type { ResolvedOptions } from '../options.js'
import { readClientId } from '../policy/clients.js'
import { readScopes } from '../policy/scopes.js'
import type { AuthResult } from '../types.js'
import { checkClaimTypes, validUntil } from './claims.js'
import { type CompactJws, isCompactJws, parseCompactJws } from './compact-jws.js'
import { fromJoseError } from './jose-errors.js'
import { decodeClaimsSet, validateClaimsSet } from './jwt-claims.js'
import { verifySignature } from './signature-node.js'
import { suffixSlot, type TokenCache } from './token-cache.js'

interface PendingVerification {
  token: string
  verification?: Promise<AuthResult>
}

// Slots for verifications under way: more than the requests a server has in flight at once.
const PENDING_SLOTS = 64

// Headers differ by key (kid, alg) and issuer habits, not by token: a few dozen is plenty.
const MAX_KNOWN_HEADERS = 32

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
}

/** Returns what verifies new tokens for one verifier, and fills its cache. */
export function newTokenVerifier(
  config: ResolvedOptions,
  keys: KeySource,
  cache: TokenCache | undefined,
  emit: EventHandler | undefined,
): NewTokenVerifier {
  const { realm } = config
  // New tokens being verified, so that requests bringing one together share one
  // verification: a small table indexed by the token's last characters (signature
  // bytes), not a Map (hashing, adding and deleting a key per new token cost
  // ~0.4 µs). A slot held by another token means no sharing, never a wrong answer.
  const pending: (PendingVerification | undefined)[] = new Array(PENDING_SLOTS)

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

  const malformed = (description: string, cause?: unknown) =>
    new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
  const invalidClaim = (description: string) =>
    new InvalidTokenError({ reason: 'invalid_claim', description, realm })

  /** The token's parts, once its shape and header pass; before any key lookup. */
  function parse(token: string, shapeChecked: boolean): CompactJws {
    if (!shapeChecked && !isCompactJws(token)) throw malformed('token is not a signed JWT')
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

  /** The result, once the signature is known good: jose's claim checks, then m2m-guard's; cached. */
  function result(jws: CompactJws, key: VerificationKey, now: number): AuthResult {
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
    cache?.set(jws.token, auth, key, validUntil(payload, config.clockTolerance, config.maxTokenAge))
    emit?.({ type: 'token_verified', clientId: auth.clientId, kid: auth.header.kid, alg: auth.header.alg })
    return auth
  }

  /** The verified token's header, frozen, kept for the next token that carries the same one. */
  function rememberHeader(jws: CompactJws): Readonly<JWTHeaderParameters> {
    const segment = jws.token.slice(0, jws.headerEnd)
    if (knownHeaders.get(segment) === jws.header) return jws.header
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
    try {
      const jws = parse(token, shapeChecked)
      const candidates = await keys.candidates(jws.header.kid, jws.header.alg)
      if (candidates.length === 0) {
        throw new InvalidTokenError({
          reason: 'unknown_key',
          description: 'no key found to verify the token',
          realm,
        })
      }
      for (const key of candidates) {
        if (verifySignature(jws, key.keyObject, jws.header.alg)) return result(jws, key, now)
      }
      throw fromJoseError(new errors.JWSSignatureVerificationFailed(), config)
    } finally {
      if (entry !== undefined && pending[suffixSlot(token, PENDING_SLOTS)] === entry) {
        pending[suffixSlot(token, PENDING_SLOTS)] = undefined
      }
    }
  }

  return { verify, owns: VerifiedToken.owns }
}

// Iterative: a verified token may nest its JSON thousands deep, and recursion would then
// overflow the stack, refusing a valid token or not depending on the caller's stack depth.
function deepFreeze<T>(value: T): Readonly<T> {
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next === 'object' && next !== null && !Object.isFrozen(next)) {
      Object.freeze(next)
      for (const member of Object.values(next)) {
        if (typeof member === 'object' && member !== null) pending.push(member)
      }
    }
  }
  return value
}
