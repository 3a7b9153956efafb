/** RFC 6749 §5.2, RFC 8707 §2 and RFC 9449 §5 error codes the token endpoint answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

/**
 * A refusal of the token endpoint, answered as `{"error", "error_description"}` JSON.
 *
 * @example
 * ```ts
 * throw new OAuthError(400, 'invalid_scope', 'scope "admin" is not allowed for this client')
 * ```
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError'
  /** Kept to RFC 6749's character set for `error_description` (printable ASCII except double quote and backslash). */
  readonly description: string

  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    description: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    const safe = description.replaceAll('"', "'").replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?')
    super(`${error}: ${safe}`)
    this.description = safe
  }
}

/** The challenge a 401 `invalid_client` carries when the client tried, or could try, HTTP Basic. */
export const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="m2m-guard-testing", charset="UTF-8"' }

/**
 * `invalid_client` (401). RFC 6749 §5.2: with the Basic challenge when the client used the
 * Authorization header, or used no authentication at all.
 *
 * @example
 * ```ts
 * throw invalidClient('client authentication failed', true)
 * ```
 */
export function invalidClient(description: string, challenge: boolean): OAuthError {
  return new OAuthError(401, 'invalid_client', description, challenge ? BASIC_CHALLENGE : {})
}

/**
 * `invalid_request` (400), the answer to a request that is malformed rather than unauthorised.
 *
 * @example
 * ```ts
 * throw invalidRequest('"grant_type" is missing')
 * ```
 */
export function invalidRequest(description: string, status = 400): OAuthError {
  return new OAuthError(status, 'invalid_request', description)
}
