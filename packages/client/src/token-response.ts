import { sanitizeServerText, TokenRequestError } from './errors.js'
import type { ExchangeResult } from './http-exchange.js'
import { parseRetryAfter } from './retry.js'

/**
 * A validated access token response (RFC 6749 §5.1).
 *
 * @example
 * ```ts
 * const token: TokenResponse = { accessToken: 'eyJ…', tokenType: 'Bearer', lifetime: 3_600_000, scope: 'orders:read', sentAt: Date.now() }
 * ```
 */
export interface TokenResponse {
  accessToken: string
  /** `DPoP` for a DPoP-bound token (sent with the DPoP scheme and a proof), else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP'
  /** Milliseconds: `expires_in`, or the configured default when the server sent none. */
  lifetime: number
  /** The scope actually granted, when the server says. */
  scope: string | undefined
  /** When the request was sent (clock ms): the lifetime counts from here, to err on the early side. */
  sentAt: number
}

/**
 * What reading a token endpoint answer needs to know.
 *
 * @example
 * ```ts
 * const context: ResponseContext = { sentAt, now: Date.now(), defaultLifetime: 300_000, secrets: [secret], tokenType: 'Bearer' }
 * ```
 */
export interface ResponseContext {
  sentAt: number
  /** When the answer arrived, for a `Retry-After` date. */
  now: number
  defaultLifetime: number
  /** Redacted from anything the server says, in case it echoes what it was sent. */
  secrets: readonly string[]
  /** The token type this client asked for: `DPoP` when it sent a proof, else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP'
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    // The SyntaxError is dropped on purpose: V8 quotes the body in its message, and the body of a
    // token response holds a token.
    return undefined
  }
}

function invalidResponse(message: string): TokenRequestError {
  return new TokenRequestError(`invalid token response: ${message}`, {
    reason: 'invalid_response',
    status: 200,
  })
}

// expires_in is a number by RFC 6749, but some servers send it as a string of digits.
function lifetimeOf(expiresIn: unknown, context: ResponseContext): number {
  if (expiresIn === undefined || expiresIn === null) return context.defaultLifetime
  const seconds = typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : expiresIn
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw invalidResponse('expires_in must be a positive number')
  }
  return seconds * 1000
}

function success(body: string, context: ResponseContext): TokenResponse {
  const json = parseJson(body)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalidResponse('the body is not a JSON object')
  }
  const fields = json as Record<string, unknown>
  if (typeof fields.access_token !== 'string' || fields.access_token.length === 0) {
    throw invalidResponse('access_token must be a non-empty string')
  }
  // Without DPoP this client sends Bearer tokens only: a DPoP or MAC token sent as Bearer would be
  // refused anyway. With DPoP it wants the binding, and drops an unbound Bearer token (RFC 9449 §5),
  // rather than send a weaker token than configured.
  const expected = context.tokenType
  if (typeof fields.token_type !== 'string' || fields.token_type.toLowerCase() !== expected.toLowerCase()) {
    throw invalidResponse(
      expected === 'DPoP'
        ? 'token_type must be "DPoP": the server did not bind the token to the DPoP key'
        : 'token_type must be "Bearer"',
    )
  }
  return {
    accessToken: fields.access_token,
    tokenType: expected,
    lifetime: lifetimeOf(fields.expires_in, context),
    scope: typeof fields.scope === 'string' ? fields.scope : undefined,
    sentAt: context.sentAt,
  }
}

function failure(result: ExchangeResult, context: ResponseContext): TokenRequestError {
  const { status } = result
  const json = parseJson(result.body)
  const fields = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}
  const error =
    typeof fields.error === 'string' ? sanitizeServerText(fields.error, context.secrets) : undefined
  const errorDescription =
    typeof fields.error_description === 'string'
      ? sanitizeServerText(fields.error_description, context.secrets)
      : undefined
  // 408, 429 and 5xx are the server's "not now"; every other answer would be the same next time.
  const retryable = status === 408 || status === 429 || status >= 500
  const retryAfter = retryable ? parseRetryAfter(result.headers.get('retry-after'), context.now) : undefined
  const what =
    error === undefined ? `HTTP ${status}` : `${error}${errorDescription ? ` (${errorDescription})` : ''}`
  return new TokenRequestError(`token request failed: ${what}`, {
    reason: error === undefined ? 'http_error' : 'oauth_error',
    error,
    errorDescription,
    status,
    retryable,
    retryAfter,
  })
}

/**
 * Turns the token endpoint's answer into a token, or into a {@link TokenRequestError} that carries
 * the server's `error` and `error_description` and says whether a retry may help.
 *
 * @example
 * ```ts
 * const token = readTokenResponse(await exchange(fetch, url, init, limits), context)
 * ```
 */
export function readTokenResponse(result: ExchangeResult, context: ResponseContext): TokenResponse {
  if (result.status === 200) return success(result.body, context)
  throw failure(result, context)
}
