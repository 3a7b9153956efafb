/**
 * The verifier: the one place that decides whether a token passes. Adapters
 * call it; every rule about tokens is here or in the modules it composes.
 */
import type { ChallengeScheme } from './challenge.js'
import { InvalidTokenError, MissingTokenError } from './errors.js'
import { type EventHandler, safeEmitter } from './events.js'
import { createKeySource, issuerKeyStatus, warmUpAll } from './issuers/key-sets.js'
import type { ResolvedProfile } from './issuers/profile.js'
import { IssuerIndex } from './issuers/select-profile.js'
import { Observer, registerObserver } from './observe/observer.js'
import { malformedToken, type Rejections, rejections } from './observe/rejections.js'
import { VerificationCalls } from './observe/verification-calls.js'
import type { VerifierOptions } from './options.js'
import { checkBearerBinding } from './policy/binding.js'
import { resolveBinding } from './policy/binding-options.js'
import { DeclaredRequirements } from './policy/declared-requirements.js'
import { checkRequirement, type Requirement } from './policy/requirement.js'
import { resolveUsage, UsageRecorder, usageOff } from './policy/usage.js'
import { authorizationOf, requestAuthenticator } from './request/authenticate-request.js'
import { extractBearerToken, isBearerSpace } from './request/extract-token.js'
import type { RequestInfo } from './request/request-info.js'
import { buildResourceMetadata } from './resource-metadata.js'
import { isCompactJws } from './token/compact-jws.js'
import { newTokenVerifier } from './token/new-token.js'
import { type CachedResult, TokenCache } from './token/token-cache.js'
import type { AuthResult, Verifier } from './types.js'
import { resolveOptions } from './validate-options.js'

export type { Verifier } from './types.js'

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
  const observer = new Observer(safeEmitter(config.onEvent))
  const emit: EventHandler = observer.emit
  const usageSize = resolveUsage(options.usage)
  const usage = usageSize === undefined ? undefined : new UsageRecorder(usageSize)
  const profiles: ResolvedProfile[] = config.profiles.map((profile) => ({
    ...profile,
    keys: createKeySource(profile, config, emit),
  }))
  const { realm } = config
  const cache = config.tokenCacheSize > 0 ? new TokenCache(config.tokenCacheSize) : undefined
  const newTokens = newTokenVerifier(new IssuerIndex(profiles, realm), realm, cache, observer)
  // Each entry point reports its settled call once (`m2m-guard:verification`).
  const calls = new VerificationCalls(observer, (auth) => newTokens.profileOf(auth)?.id)
  const requirements = new DeclaredRequirements(
    new Set(profiles.flatMap((p) => [...p.issuers, ...p.templates.map((t) => t.template)])),
  )
  const binding = resolveBinding(options.dpop, options.mtls, {
    clock: config.clock,
    // Profiles may each loosen their own; a proof's window uses the top-level value.
    clockTolerance: typeof options.clockTolerance === 'number' ? options.clockTolerance : 5,
    onEvent: emit,
  })
  // Unbound tokens that still need a look: every one, when a binding is required.
  const strict = binding.dpop?.required === true || binding.mtls?.required === true
  const refusals = rejections({
    realm,
    binding,
    metadataUrl: config.resourceMetadata?.url,
    observer,
    emit,
    profileOf: (auth) => newTokens.profileOf(auth),
  })
  // Typed where declared, so that TypeScript sees the code after a `rejected(…)` call is unreachable.
  const rejected: Rejections['rejected'] = refusals.rejected
  const { reported } = refusals

  /** The cached result for `token`, reported as a hit, or undefined. */
  function cached(token: string, now: number): CachedResult | undefined {
    const hit = cache?.get(token, now)
    if (hit === undefined) return undefined
    hit.profile.keys.revalidate(now)
    if (observer.watching('tokenCache'))
      emit({ type: 'token_cache_hit', issuer: hit.profile.id, clientId: hit.auth.clientId })
    return hit
  }

  /** The verified result for `token`; throws (synchronously too) what `guarded` reports. */
  function verifyToken(token: string, shapeChecked: boolean): AuthResult | Promise<AuthResult> {
    if (typeof token !== 'string' || token === '')
      throw malformedToken('token must be a non-empty string', realm)
    if (token.length > config.maxTokenLength) {
      throw new InvalidTokenError({
        reason: 'token_too_large',
        description: `token larger than ${config.maxTokenLength} characters`,
        realm,
      })
    }
    const now = config.clock()
    // authenticate() passes shapeChecked only after missing the cache a moment ago: no second lookup.
    const hit = shapeChecked ? undefined : cached(token, now)
    if (hit !== undefined) return hit.auth
    if (cache !== undefined && observer.watching('tokenCache')) emit({ type: 'token_cache_miss' })
    return newTokens.verify(token, now, shapeChecked)
  }

  function check(auth: AuthResult, requirement: Requirement, scheme: ChallengeScheme = 'Bearer'): void {
    try {
      requirements.validateChecked(requirement)
      checkRequirement(auth, requirement, realm)
    } catch (error) {
      if (error instanceof TypeError) throw error // a programming error in the requirement, not a client error
      rejected(error, auth, scheme)
    }
  }

  /**
   * A token that came without its request (verify, authenticate): bound
   * tokens cannot prove possession here, and a required binding is missing.
   */
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

  /**
   * `auth` once it meets `requirement`, counted (usage) and as a settled promise (the cached one,
   * for a hit): no async frame. `now`: the clock's reading, if taken; `proven`: an earlier guard
   * authenticated this very request, binding included.
   */
  function checked(
    auth: AuthResult,
    requirement: Requirement | undefined,
    now: number | undefined,
    hit?: CachedResult,
    proven = false,
  ): Promise<AuthResult> {
    try {
      if (!proven && (strict || auth.payload.cnf !== undefined)) refuseUnproven(auth)
      if (requirement !== undefined) check(auth, requirement)
    } catch (error) {
      return Promise.reject(error)
    }
    // A hit is counted through its cache entry: a few field writes, no lookup.
    usage?.record(auth, requirement, now ?? config.clock(), hit)
    calls.acceptedNow(auth, hit?.profile.id)
    return hit?.settled ?? Promise.resolve(auth)
  }

  async function guarded(
    token: string,
    requirement: Requirement | undefined,
    shapeChecked = false,
  ): Promise<AuthResult> {
    let auth: AuthResult
    try {
      auth = await verifyToken(token, shapeChecked)
    } catch (error) {
      rejected(error)
    }
    if (strict || auth.payload.cnf !== undefined) refuseUnproven(auth)
    if (requirement !== undefined) check(auth, requirement)
    usage?.record(auth, requirement, config.clock())
    return auth
  }

  const { owns } = newTokens
  const boundRequest = binding.enabled
    ? requestAuthenticator({
        binding,
        realm,
        maxTokenLength: config.maxTokenLength,
        clock: config.clock,
        verifyToken: (token) => verifyToken(token, false),
        check,
        rejected,
      })
    : undefined

  function authenticateRequest(request: RequestInfo, requirement?: Requirement): Promise<AuthResult> {
    if (typeof request !== 'object' || request === null || typeof request.headers !== 'object') {
      return Promise.reject(new TypeError('authenticateRequest needs a RequestInfo { method, url, headers }'))
    }
    if (boundRequest !== undefined) {
      const accepted = boundRequest(request, requirement)
      if (usage === undefined) return accepted
      return accepted.then((auth) => {
        usage.record(auth, requirement, config.clock())
        return auth
      })
    }
    // No binding configured: the Authorization header is all that counts, on the fast path.
    let authorization: string | undefined
    try {
      authorization = authorizationOf(request.headers, realm)
    } catch (error) {
      return Promise.reject(reported(error))
    }
    return authenticate(authorization, requirement)
  }

  /**
   * A reused token's answer, already settled (the cached result, or its refusal
   * for this requirement): no header validation, no async frame. Undefined
   * when the token is not in the cache.
   */
  function answerFromCache(
    authorization: unknown,
    requirement: Requirement | undefined,
  ): Promise<AuthResult> | undefined {
    // "Bearer" in any case, one space, then the token: a cached token passed extraction and the
    // compact-JWS check when it was verified, so the lookup key is exactly what extraction would return.
    if (typeof authorization !== 'string' || !isBearerSpace(authorization)) return undefined
    const now = config.clock()
    const hit = cached(authorization.slice(7), now)
    return hit === undefined ? undefined : checked(hit.auth, requirement, now, hit)
  }

  function authenticate(authorization: string | undefined, requirement?: Requirement): Promise<AuthResult> {
    return answerFromCache(authorization, requirement) ?? authenticateNew(authorization, requirement)
  }

  /** `authenticate` for a token not in the cache. */
  function authenticateNew(
    authorization: string | undefined,
    requirement?: Requirement,
  ): Promise<AuthResult> {
    if (typeof authorization === 'string' && isBearerSpace(authorization)) {
      // A compact JWS is a b64token without whitespace, exactly what extraction
      // would return: skip extraction, and its second pass over the token.
      const token = authorization.slice(7)
      if (token.length <= config.maxTokenLength && isCompactJws(token))
        return guarded(token, requirement, true)
    }
    let token: string
    try {
      token = extractBearerToken(authorization, { maxLength: config.maxTokenLength, realm })
    } catch (error) {
      return Promise.reject(reported(error))
    }
    return guarded(token, requirement)
  }

  function authorize(
    request: RequestInfo | string | undefined,
    requirement?: Requirement,
    current?: unknown,
  ) {
    if (owns(current)) return checked(current, requirement, undefined, undefined, true)
    if (typeof request === 'object' && request !== null) return authenticateRequest(request, requirement)
    return authenticate(request, requirement)
  }

  /**
   * What `authorize` answers without waiting, if anything: for observed calls, which then
   * need no clock (verification-calls.ts). On a miss the full call looks the token up
   * again: a tenth of a microsecond, on a path that checks a signature.
   */
  function authorizeNow(
    request: RequestInfo | string | undefined,
    requirement: Requirement | undefined,
    current: unknown,
  ): Promise<AuthResult> | undefined {
    if (owns(current)) return checked(current, requirement, undefined, undefined, true)
    if (typeof request !== 'object' || request === null) return answerFromCache(request, requirement)
    return authenticateRequestNow(request, requirement)
  }

  /** What `authenticateRequest` answers without waiting: a reused token, when no binding is configured. */
  function authenticateRequestNow(
    request: RequestInfo,
    requirement?: Requirement,
  ): Promise<AuthResult> | undefined {
    if (boundRequest !== undefined || typeof request?.headers !== 'object' || request.headers === null)
      return undefined
    let authorization: string | undefined
    try {
      authorization = authorizationOf(request.headers, realm)
    } catch {
      return undefined // the full call answers it
    }
    return answerFromCache(authorization, requirement)
  }

  const verifier: Verifier = {
    verify: calls.observed((token: string, requirement) => guarded(token, requirement)),
    authenticate: calls.observed(authenticate, answerFromCache),
    authenticateRequest: calls.observed(authenticateRequest, authenticateRequestNow),
    check: (auth, requirement) => check(auth, requirement),
    authorize: calls.observed(authorize, authorizeNow),
    owns,
    declare: (requirement) => requirements.declare(requirement),
    warmUp: () => warmUpAll(profiles),
    keyStatus: () => issuerKeyStatus(profiles),
    resourceMetadata: () =>
      config.resourceMetadata === undefined
        ? undefined
        : buildResourceMetadata(config.resourceMetadata, {
            authorizationServers: profiles.flatMap((profile) => profile.issuers),
            declaredScopes: requirements.scopes,
            dpop:
              binding.dpop === undefined
                ? undefined
                : { algorithms: binding.schemes.dpopAlgs?.split(' ') ?? [], required: binding.dpop.required },
            mtls: binding.mtls !== undefined,
          }),
    usage: () => usage?.report() ?? usageOff(),
  }
  registerObserver(verifier, observer)
  return verifier
}
