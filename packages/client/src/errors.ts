/**
 * Why a token could not be had. Stable identifiers, meant for logs, metrics and `switch` statements.
 *
 * - `oauth_error`: the token endpoint answered with an OAuth error (`error` holds its code).
 * - `http_error`: an unexpected HTTP status without an OAuth error body.
 * - `invalid_response`: a 200 whose body is not a usable token response (or is too large).
 * - `network_error`: the request never got an answer (connection refused, reset, DNS…).
 * - `timeout`: no complete answer within the `timeout` option.
 * - `discovery_failed`: the issuer's metadata could not be fetched or is not acceptable.
 * - `assertion_failed`: the `private_key_jwt` client assertion could not be signed.
 * - `credential_unavailable`: a `clientSecret` or `privateKey` function failed, timed out, or
 *   returned something unusable.
 *
 * @example
 * ```ts
 * if (err instanceof TokenRequestError && err.reason === 'timeout') metrics.increment('token.timeout')
 * ```
 */
export type TokenRequestFailure =
  | 'oauth_error'
  | 'http_error'
  | 'invalid_response'
  | 'network_error'
  | 'timeout'
  | 'discovery_failed'
  | 'assertion_failed'
  | 'credential_unavailable'

/**
 * What a {@link TokenRequestError} is made of.
 *
 * @example
 * ```ts
 * new TokenRequestError('token endpoint answered 500', { reason: 'http_error', status: 500, retryable: true })
 * ```
 */
export interface TokenRequestErrorDetails {
  reason: TokenRequestFailure
  /** The server's OAuth `error` code, when it sent one. */
  error?: string | undefined
  /** The server's `error_description`, when it sent one (truncated, with the client secret redacted). */
  errorDescription?: string | undefined
  /** The HTTP status of the last answer, if there was one. */
  status?: number | undefined
  /** Whether trying again later may succeed (network errors, timeouts, 5xx, 429). */
  retryable?: boolean | undefined
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfter?: number | undefined
  /** How many requests were made before giving up. */
  attempts?: number | undefined
  cause?: unknown
}

/**
 * A token could not be obtained. Carries the server's OAuth `error` and `error_description`, the HTTP
 * `status` and, for network failures, the underlying error as `cause`. Never carries the client secret,
 * the client assertion or any access token.
 *
 * @example
 * ```ts
 * try {
 *   await client.getToken()
 * } catch (err) {
 *   if (err instanceof TokenRequestError && err.error === 'invalid_client') {
 *     log.error({ status: err.status, description: err.errorDescription }, 'rotate the client secret')
 *   }
 *   throw err
 * }
 * ```
 */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError'
  /** Stable error code, as jose and Node.js name theirs. */
  readonly code = 'ERR_M2M_TOKEN_REQUEST'
  readonly reason: TokenRequestFailure
  readonly error: string | undefined
  readonly errorDescription: string | undefined
  readonly status: number | undefined
  readonly retryable: boolean
  readonly retryAfter: number | undefined
  readonly attempts: number

  constructor(message: string, details: TokenRequestErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.reason = details.reason
    this.error = details.error
    this.errorDescription = details.errorDescription
    this.status = details.status
    this.retryable = details.retryable ?? false
    this.retryAfter = details.retryAfter
    this.attempts = details.attempts ?? 1
  }

  /**
   * The same error, counting `attempts` requests. The retry loop is the one place that knows how
   * many requests a failure took, so it stamps the final error.
   *
   * @example
   * ```ts
   * throw error.withAttempts(3)
   * ```
   */
  withAttempts(attempts: number): TokenRequestError {
    const copy = new TokenRequestError(this.message, { ...this, attempts, cause: this.cause })
    if (this.stack !== undefined) copy.stack = this.stack
    return copy
  }
}

// Server-supplied text ends up in messages and logs: keep it short, printable, and free of our secrets
// (a misbehaving server could echo the form it received).
const MAX_SERVER_TEXT = 500

/**
 * Makes text that came from a server safe to put in an error: strips control characters, truncates it,
 * and replaces every secret with `[redacted]`.
 *
 * @example
 * ```ts
 * sanitizeServerText('bad secret s3cr3t', ['s3cr3t']) // 'bad secret [redacted]'
 * ```
 */
export function sanitizeServerText(text: string, secrets: readonly string[]): string {
  let clean = text
  for (const secret of secrets) {
    if (secret.length > 0) clean = clean.split(secret).join('[redacted]')
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  clean = clean.replace(/[\u0000-\u001f\u007f]+/g, ' ')
  return clean.length > MAX_SERVER_TEXT ? `${clean.slice(0, MAX_SERVER_TEXT)}…` : clean
}
