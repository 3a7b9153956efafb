/**
 * One error class per RFC 6750 outcome. Each carries what an adapter needs to
 * answer (`status`, `headers`, `body`) plus a stable `reason` for logs and
 * metrics. The properties follow the `http-errors` convention (`status`,
 * `statusCode`, `expose`, `headers`) that Express, Koa and Fastify understand.
 */
import { BEARER_ONLY, type ChallengeParams, type ChallengeSchemes, formatChallenges } from './challenge.js'
import type { BindingFailureReason } from './policy/binding-failure.js'

/** RFC 6750 §3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

/** RFC 9449 §7.1 error codes of the DPoP scheme (beside `invalid_token` and the others). */
export type DpopErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce'

/** Every error code a challenge can carry. */
export type AuthErrorCode = BearerErrorCode | DpopErrorCode

/**
 * Stable, fine-grained reasons. Safe to use as metric labels: the set is
 * closed and never contains token data.
 */
export type AuthErrorReason =
  | 'missing_token'
  | 'unsupported_scheme'
  | 'malformed_authorization'
  | 'token_too_large'
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'signature_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_too_old'
  | 'token_issued_in_future'
  | 'missing_claim'
  | 'invalid_claim'
  | 'issuer_unknown'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'typ_mismatch'
  | 'insufficient_scope'
  | 'client_not_allowed'
  | 'issuer_not_allowed'
  | 'keys_unavailable'
  | 'replay_store_unavailable'
  | BindingFailureReason

/** The JSON body adapters send: `{ error, error_description }`. */
export interface AuthErrorBody {
  error: string
  error_description: string
}

// Each error's challenge attributes, so that the verifier can add what only it
// knows (RFC 9728's resource_metadata) without every error site carrying it.
/** What an error's challenge is made of: its attributes, the schemes it names, a DPoP nonce to hand out. */
interface ChallengeState {
  readonly params: ChallengeParams
  readonly schemes: ChallengeSchemes
  readonly dpopNonce: string | undefined
}
const challenges = new WeakMap<AuthError, ChallengeState>()

// Marks AuthErrors across copies of this package (two versions installed side
// by side, or a bundled copy), where `instanceof` against one class would miss
// the other's errors and turn refusals into 500s.
const BRAND = Symbol.for('m2m-guard.AuthError')

interface AuthErrorInit {
  status: number
  code: AuthErrorCode | undefined
  reason: AuthErrorReason
  description: string
  realm: string | undefined
  scope?: string | undefined
  retryAfter?: number | undefined
  message?: string | undefined
  cause?: unknown
}

/**
 * Base of every error m2m-guard rejects a request with. Catch this one class
 * to handle all of them.
 *
 * @example
 * try {
 *   await verifier.authenticate(req.headers.authorization)
 * } catch (err) {
 *   if (err instanceof AuthError) res.writeHead(err.status, err.headers).end(JSON.stringify(err.body))
 * }
 */
export class AuthError extends Error {
  override name = 'AuthError'
  /** HTTP status to answer with. */
  readonly status: number
  /** Alias of `status`, for frameworks that read `statusCode`. */
  readonly statusCode: number
  /**
   * Whether the message is safe to show to the client (http-errors
   * convention): true below 500. A 503's message names the key set's URL and
   * why it could not be fetched, which is for logs; its `description` (the
   * body's `error_description`) is what clients get.
   */
  readonly expose: boolean
  /** RFC 6750 (or RFC 9449) error code, if the outcome has one. */
  readonly code: AuthErrorCode | undefined
  /** Stable identifier of what went wrong, for logs and metrics. */
  readonly reason: AuthErrorReason
  /** Human-readable description, sent to the client as `error_description`. */
  readonly description: string
  /** The `WWW-Authenticate` header value, if this outcome has one. */
  readonly wwwAuthenticate: string | undefined
  /** Seconds after which the client may retry (503 only). */
  readonly retryAfter: number | undefined
  /** The DPoP server nonce sent with this answer (`DPoP-Nonce`), if any. */
  readonly dpopNonce: string | undefined = undefined
  /** Response headers: `WWW-Authenticate`, `Retry-After`, `DPoP-Nonce`, as they apply. */
  readonly headers: Readonly<Record<string, string>>
  /** Response body. */
  readonly body: AuthErrorBody

  /**
   * `err instanceof AuthError` holds for AuthErrors from any copy of
   * @m2m-guard/core; for the subclasses it is the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class on the right of instanceof, maybe a subclass.
    if (this !== AuthError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  protected constructor(init: AuthErrorInit, bodyError: string, challenge: boolean) {
    super(init.message ?? init.description, init.cause === undefined ? undefined : { cause: init.cause })
    this.status = init.status
    this.statusCode = init.status
    this.expose = init.status < 500
    this.code = init.code
    this.reason = init.reason
    this.description = init.description
    this.retryAfter = init.retryAfter
    const params: ChallengeParams | undefined = challenge
      ? {
          realm: init.realm,
          error: init.code,
          errorDescription: init.code === undefined ? undefined : init.description,
          scope: init.scope,
        }
      : undefined
    if (params !== undefined) challenges.set(this, { params, schemes: BEARER_ONLY, dpopNonce: undefined })
    this.wwwAuthenticate = params === undefined ? undefined : formatChallenges(params, BEARER_ONLY)
    this.headers = responseHeaders(this.wwwAuthenticate, this.retryAfter, undefined)
    this.body = Object.freeze({ error: bodyError, error_description: init.description })
    Object.defineProperty(this, BRAND, { value: true })
  }
}

function responseHeaders(
  wwwAuthenticate: string | undefined,
  retryAfter: number | undefined,
  dpopNonce: string | undefined,
): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  if (wwwAuthenticate !== undefined) headers['WWW-Authenticate'] = wwwAuthenticate
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter)
  if (dpopNonce !== undefined) headers['DPoP-Nonce'] = dpopNonce
  return Object.freeze(headers)
}

/** Rewrites the challenge of `error` from `state`: the verifier's late additions, before it throws. */
function rechallenge(error: AuthError, state: ChallengeState): void {
  challenges.set(error, state)
  const wwwAuthenticate = formatChallenges(state.params, state.schemes)
  // The fields are readonly to users; these are their late writes, before the error is thrown.
  Object.defineProperty(error, 'wwwAuthenticate', { value: wwwAuthenticate })
  Object.defineProperty(error, 'dpopNonce', { value: state.dpopNonce })
  Object.defineProperty(error, 'headers', {
    value: responseHeaders(wwwAuthenticate, error.retryAfter, state.dpopNonce),
  })
}

/**
 * Challenges `error` with every scheme a verifier that accepts DPoP names
 * (RFC 9449 §7.2: `Bearer, DPoP algs="…"`, the error on the scheme the
 * request used), and hands out `dpopNonce` with it. Errors without a
 * challenge (503) are left as they are.
 */
export function addDpopChallenge(
  error: AuthError,
  schemes: ChallengeSchemes,
  dpopNonce: string | undefined,
): void {
  const state = challenges.get(error)
  if (state === undefined) return
  rechallenge(error, { ...state, schemes, dpopNonce })
}

/**
 * Adds `resource_metadata="<url>"` (RFC 9728 §5.1) to the challenge of a 401
 * or 403 `error`, once. For the verifier, which knows the URL; every error
 * leaves it through here.
 */
export function addResourceMetadata(error: AuthError, url: string): void {
  const state = challenges.get(error)
  if (state === undefined || state.params.resourceMetadata !== undefined) return
  if (error.status !== 401 && error.status !== 403) return
  rechallenge(error, { ...state, params: { ...state.params, resourceMetadata: url } })
}

type ErrorArgs = {
  reason: AuthErrorReason
  description: string
  realm?: string | undefined
  message?: string | undefined
  cause?: unknown
}

/**
 * 401 without an error code: the request carried no Bearer credentials
 * (RFC 6750 §3.1). The challenge tells the client how to authenticate.
 */
export class MissingTokenError extends AuthError {
  override name = 'MissingTokenError'
  constructor(args: ErrorArgs) {
    super({ ...args, realm: args.realm, status: 401, code: undefined }, 'unauthorized', true)
  }
}

/** 400 `invalid_request`: the Authorization header is malformed. */
export class InvalidRequestError extends AuthError {
  override name = 'InvalidRequestError'
  constructor(args: ErrorArgs) {
    super({ ...args, realm: args.realm, status: 400, code: 'invalid_request' }, 'invalid_request', true)
  }
}

/** 401 `invalid_token`: the client should get a new token and try again. */
export class InvalidTokenError extends AuthError {
  override name = 'InvalidTokenError'
  constructor(args: ErrorArgs) {
    super({ ...args, realm: args.realm, status: 401, code: 'invalid_token' }, 'invalid_token', true)
  }
}

/**
 * 403 `insufficient_scope`: the token is valid but does not grant this
 * route. A new token with the same grant would not help.
 */
export class InsufficientScopeError extends AuthError {
  override name = 'InsufficientScopeError'
  /** The scopes the route requires, as written in the challenge's `scope`. */
  readonly requiredScopes: readonly string[]
  constructor(args: ErrorArgs & { requiredScopes?: readonly string[] }) {
    const requiredScopes = args.requiredScopes ?? []
    const scope = requiredScopes.length > 0 ? requiredScopes.join(' ') : undefined
    super(
      { ...args, realm: args.realm, scope, status: 403, code: 'insufficient_scope' },
      'insufficient_scope',
      true,
    )
    this.requiredScopes = Object.freeze([...requiredScopes])
  }
}

/**
 * 503: no signing keys can be had (the issuer is unreachable and nothing is
 * cached). Not the client's fault: it must not fetch a new token, only retry
 * after `retryAfter` seconds.
 */
export class KeysUnavailableError extends AuthError {
  override name = 'KeysUnavailableError'
  constructor(args: Omit<ErrorArgs, 'reason' | 'realm'> & { retryAfter: number }) {
    super(
      { ...args, reason: 'keys_unavailable', realm: undefined, status: 503, code: undefined },
      'temporarily_unavailable',
      false,
    )
  }
}

/**
 * 401 `invalid_dpop_proof` (RFC 9449 §7.1): the DPoP proof is missing,
 * malformed, for another request, too old, or replayed. A new proof (not a
 * new token) fixes it.
 */
export class InvalidDpopProofError extends AuthError {
  override name = 'InvalidDpopProofError'
  constructor(args: ErrorArgs) {
    super({ ...args, realm: args.realm, status: 401, code: 'invalid_dpop_proof' }, 'invalid_dpop_proof', true)
  }
}

/**
 * 401 `use_dpop_nonce` (RFC 9449 §9): the proof lacks the API's current
 * nonce; the answer carries one in `DPoP-Nonce` for the client to retry with.
 */
export class UseDpopNonceError extends AuthError {
  override name = 'UseDpopNonceError'
  constructor(args: ErrorArgs) {
    super({ ...args, realm: args.realm, status: 401, code: 'use_dpop_nonce' }, 'use_dpop_nonce', true)
  }
}

/**
 * 503: the DPoP replay store failed or did not answer in time, so a replay
 * cannot be ruled out; the request fails closed. Retry after `retryAfter` seconds.
 */
export class ReplayStoreUnavailableError extends AuthError {
  override name = 'ReplayStoreUnavailableError'
  constructor(args: Omit<ErrorArgs, 'reason' | 'realm'> & { retryAfter: number }) {
    super(
      { ...args, reason: 'replay_store_unavailable', realm: undefined, status: 503, code: undefined },
      'temporarily_unavailable',
      false,
    )
  }
}
