/**
 * The verifier: the one place that decides whether a token passes. Adapters
 * call it; every rule about tokens is here or in the modules it composes.
 */
import { decodeProtectedHeader, type JWTVerifyResult, jwtVerify } from 'jose'
import { checkClaimTypes, validUntil } from './claims.js'
import { readClientId } from './clients.js'
import { AuthError, InvalidTokenError } from './errors.js'
import { safeEmitter } from './events.js'
import { extractBearerToken } from './extract-token.js'
import { fromJoseError } from './jose-errors.js'
import { type KeySetStatus, type KeySource, LocalKeySet } from './keys/key-source.js'
import { parseJwks } from './keys/parse-jwks.js'
import { RemoteKeySet } from './keys/remote-key-set.js'
import type { VerificationKey } from './keys/verification-key.js'
import type { ResolvedOptions, VerifierOptions } from './options.js'
import { checkRequirement, type Requirement, validateRequirement } from './requirement.js'
import { readScopes } from './scopes.js'
import { TokenCache } from './token-cache.js'
import type { AuthResult } from './types.js'
import { resolveOptions } from './validate-options.js'

/** Verifies access tokens and checks requirements. Create one per issuer and audience, and share it. */
export interface Verifier {
  /** Verifies a raw token and, if given, checks a requirement. Rejects with an {@link AuthError}. */
  verify(token: string, requirement?: Requirement): Promise<AuthResult>
  /** Same, from an Authorization header value (scheme `Bearer`, case-insensitive). */
  authenticate(authorization: string | undefined, requirement?: Requirement): Promise<AuthResult>
  /** Checks a requirement against an already verified result. Throws an {@link AuthError}. */
  check(auth: AuthResult, requirement: Requirement): void
  /**
   * For adapters: if `current` is a result this verifier produced (an earlier
   * guard on the same request), only checks `requirement`; otherwise
   * authenticates `authorization` and checks it.
   */
  authorize(
    authorization: string | undefined,
    requirement?: Requirement,
    current?: unknown,
  ): Promise<AuthResult>
  /** True if `auth` was produced by this verifier. */
  owns(auth: unknown): auth is AuthResult
  /** Fetches the keys now, so the first request does not wait. Rejects if they cannot be had. */
  warmUp(): Promise<void>
  /** The key set's state, for readiness probes. */
  keyStatus(): KeySetStatus
}

// Three non-empty base64url segments: a JWS in compact serialization (a JWE has five).
// Each segment must be canonical (RFC 4648 §3.5): the unused low bits of its last
// character are zero and no length is 1 mod 4. Decoders ignore those bits, so without
// this check one signed token has up to 16 spellings per segment that all verify.
const SEGMENT =
  '(?=[A-Za-z0-9_-])(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]|[A-Za-z0-9_-][AQgw])?'
const COMPACT_JWS = new RegExp(`^${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}$`)

/**
 * Creates a {@link Verifier}. Throws a TypeError naming the option if the
 * options are invalid.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const auth = await verifier.authenticate(req.headers.authorization, { scopes: ['orders:read'] })
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = resolveOptions(options)
  const emit = safeEmitter(config.onEvent)
  const keys = createKeySource(config, emit)
  const cache = config.tokenCacheSize > 0 ? new TokenCache(config.tokenCacheSize) : undefined
  const allowedAlgorithms = new Set<string>(config.algorithms)
  const issued = new WeakSet<AuthResult>()
  const validated = new WeakSet<Requirement>()
  const { realm } = config

  function malformed(description: string, cause?: unknown): InvalidTokenError {
    return new InvalidTokenError({ reason: 'token_malformed', description, realm, cause })
  }

  async function verifySignature(token: string, key: VerificationKey, now: number): Promise<JWTVerifyResult> {
    return jwtVerify(token, key.jwk, {
      algorithms: [...key.algorithms],
      issuer: config.issuers as string[],
      audience: config.audiences as string[],
      clockTolerance: config.clockTolerance,
      ...(config.maxTokenAge === undefined ? {} : { maxTokenAge: config.maxTokenAge }),
      ...(config.requireTyp ? { typ: 'at+jwt' } : {}),
      requiredClaims: ['exp'],
      currentDate: new Date(now),
    })
  }

  async function verifyToken(token: string): Promise<AuthResult> {
    if (typeof token !== 'string' || token === '') throw malformed('token must be a non-empty string')
    if (token.length > config.maxTokenLength) {
      throw new InvalidTokenError({
        reason: 'token_too_large',
        description: `token larger than ${config.maxTokenLength} characters`,
        realm,
      })
    }
    const now = config.clock()
    const cached = cache?.get(token, now)
    if (cached !== undefined) {
      emit?.({ type: 'token_cache_hit', clientId: cached.clientId })
      return cached
    }
    if (cache !== undefined) emit?.({ type: 'token_cache_miss' })
    if (!COMPACT_JWS.test(token)) throw malformed('token is not a signed JWT')

    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(token)
    } catch (error) {
      throw malformed('token header is not valid base64url JSON', error)
    }
    // Refuse before any key lookup: an unsigned or HMAC token must not even cause a fetch.
    if (typeof header.alg !== 'string' || !allowedAlgorithms.has(header.alg)) {
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
    let verified: JWTVerifyResult | undefined
    let key = candidates[0] as VerificationKey
    for (let index = 0; verified === undefined; index++) {
      key = candidates[index] as VerificationKey
      try {
        verified = await verifySignature(token, key, now)
      } catch (error) {
        const anotherKey = index + 1 < candidates.length
        if (!(anotherKey && fromJoseError(error, config).reason === 'signature_invalid')) {
          throw fromJoseError(error, config)
        }
      }
    }
    const { payload } = verified
    checkClaimTypes(payload, Math.floor(now / 1000), config.clockTolerance, realm)
    const scopes = readScopes(payload)
    if (scopes === undefined) {
      throw new InvalidTokenError({
        reason: 'invalid_claim',
        description: "'scope'/'scp' claim has an invalid type",
        realm,
      })
    }
    const client = readClientId(payload, config.clientIdClaims)
    if (!client.ok) {
      throw new InvalidTokenError({
        reason: 'invalid_claim',
        description: `'${client.claim}' claim must be a non-empty string`,
        realm,
      })
    }
    // Frozen, because the cache hands the same object to every request carrying this token.
    const auth: AuthResult = Object.freeze({
      clientId: client.clientId,
      scopes: Object.freeze(scopes),
      payload: deepFreeze(payload),
      header: deepFreeze(verified.protectedHeader),
      token,
    })
    issued.add(auth)
    cache?.set(token, auth, key, validUntil(payload, config.clockTolerance, config.maxTokenAge))
    emit?.({ type: 'token_verified', clientId: auth.clientId, kid: header.kid, alg: header.alg })
    return auth
  }

  function check(auth: AuthResult, requirement: Requirement): void {
    try {
      if (!validated.has(requirement)) {
        validateRequirement(requirement)
        validated.add(requirement)
      }
      checkRequirement(auth, requirement, realm)
    } catch (error) {
      if (error instanceof TypeError) throw error // a programming error in the requirement, not a client error
      rejected(error, auth.clientId)
    }
  }

  /** Reports a rejection and guarantees that only AuthErrors leave the verifier. */
  function rejected(error: unknown, clientId?: string): never {
    const authError = error instanceof AuthError ? error : malformed('malformed token', error)
    emit?.({
      type: 'token_rejected',
      status: authError.status,
      reason: authError.reason,
      description: authError.description,
      ...(clientId === undefined ? {} : { clientId }),
    })
    throw authError
  }

  async function guarded(token: string, requirement: Requirement | undefined): Promise<AuthResult> {
    let auth: AuthResult
    try {
      auth = await verifyToken(token)
    } catch (error) {
      rejected(error)
    }
    if (requirement !== undefined) check(auth, requirement)
    return auth
  }

  function owns(auth: unknown): auth is AuthResult {
    return typeof auth === 'object' && auth !== null && issued.has(auth as AuthResult)
  }

  async function authenticate(
    authorization: string | undefined,
    requirement?: Requirement,
  ): Promise<AuthResult> {
    let token: string
    try {
      token = extractBearerToken(authorization, { maxLength: config.maxTokenLength, realm })
    } catch (error) {
      rejected(error)
    }
    return guarded(token, requirement)
  }

  return {
    verify: guarded,
    authenticate,
    check,
    async authorize(authorization, requirement, current) {
      if (!owns(current)) return authenticate(authorization, requirement)
      if (requirement !== undefined) check(current, requirement)
      return current
    },
    owns,
    warmUp: () => keys.warmUp(),
    keyStatus: () => keys.status(),
  }
}

function createKeySource(config: ResolvedOptions, emit: ReturnType<typeof safeEmitter>): KeySource {
  if (config.jwks === undefined) return new RemoteKeySet(config, emit)
  let parsed: ReturnType<typeof parseJwks>
  try {
    parsed = parseJwks(config.jwks, {
      algorithms: new Set(config.algorithms),
      maxKeys: config.jwksCache.maxKeys,
    })
  } catch (error) {
    throw new TypeError(`"jwks" option: ${(error as Error).message}`)
  }
  if (parsed.keys.length === 0) {
    const reasons = parsed.skipped.map(({ kid, why }) => `${kid ?? '(no kid)'}: ${why}`).join('; ')
    throw new TypeError(`"jwks" option has no usable signing key${reasons === '' ? '' : ` (${reasons})`}`)
  }
  for (const { kid, why } of parsed.skipped) emit?.({ type: 'key_skipped', kid, why })
  return new LocalKeySet(parsed.keys)
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}
