/**
 * Reads the access token from an Authorization header value, per RFC 6750
 * §2.1: `Bearer` (any case), one or more spaces, exactly one b64token. The
 * query string and the body are never consulted (RFC 6750 §2.2–2.3 are off).
 */
import { InvalidRequestError, InvalidTokenError, MissingTokenError } from '../errors.js'

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const WHITESPACE = /\s/

/** The scheme an Authorization header used, and its token. */
export interface Credentials {
  scheme: 'Bearer' | 'DPoP'
  token: string
}

/**
 * Returns the token from `authorization`, or throws the AuthError that
 * RFC 6750 prescribes: 401 without an error code when there are no Bearer
 * credentials, 400 `invalid_request` when they are malformed, 401
 * `invalid_token` when the token is over `maxLength`.
 *
 * @example
 * extractBearerToken('Bearer eyJhbGciOi...', { maxLength: 16384 }) // 'eyJhbGciOi...'
 */
export function extractBearerToken(
  authorization: string | undefined,
  options: { maxLength: number; realm?: string | undefined },
): string {
  return extractCredentials(authorization, { ...options, dpop: false }).token
}

/**
 * Like {@link extractBearerToken}, also accepting the `DPoP` scheme
 * (RFC 9449 §7.1: `Authorization: DPoP <token68>`) when `dpop` is true.
 *
 * @example
 * extractCredentials('DPoP eyJhbGciOi...', { maxLength: 16384, dpop: true }) // { scheme: 'DPoP', token: 'eyJhbGciOi...' }
 */
export function extractCredentials(
  authorization: string | undefined,
  options: { maxLength: number; realm?: string | undefined; dpop: boolean },
): Credentials {
  const { realm } = options
  if (typeof authorization !== 'string' || authorization.trim() === '') {
    throw new MissingTokenError({ reason: 'missing_token', description: 'authentication required', realm })
  }
  const value = authorization.trim()
  const space = value.indexOf(' ')
  const lowerScheme = (space === -1 ? value : value.slice(0, space)).toLowerCase()
  const scheme =
    lowerScheme === 'bearer' ? 'Bearer' : options.dpop && lowerScheme === 'dpop' ? 'DPoP' : undefined
  if (scheme === undefined) {
    throw new MissingTokenError({
      reason: 'unsupported_scheme',
      description: options.dpop ? 'Bearer or DPoP authentication required' : 'Bearer authentication required',
      realm,
    })
  }
  const token = space === -1 ? '' : value.slice(space + 1).trimStart()
  if (token === '') {
    throw new InvalidRequestError({
      reason: 'malformed_authorization',
      description: `${scheme} scheme without a token`,
      realm,
    })
  }
  // Checked before any parsing, so an oversized header costs nothing more.
  if (token.length > options.maxLength) {
    throw new InvalidTokenError({
      reason: 'token_too_large',
      description: `token larger than ${options.maxLength} characters`,
      realm,
    })
  }
  // One pass over the token when it is well formed (b64token has no whitespace);
  // the second only picks the message.
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError({
      reason: 'malformed_authorization',
      description: WHITESPACE.test(token)
        ? 'more than one token in the Authorization header'
        : 'token contains characters outside the b64token set',
      realm,
    })
  }
  return { scheme, token }
}

/**
 * `Bearer ` (the scheme in any case, then exactly one space) followed by
 * something: the verifier's fast path, where the rest of the header is the
 * token exactly when it is a compact JWS (a b64token without whitespace).
 *
 * @example
 * isBearerSpace('bearer eyJhbGciOi...') // true
 * isBearerSpace('Bearer  eyJhbGciOi...') // false: extractBearerToken handles it
 */
export function isBearerSpace(value: string): boolean {
  return (
    value.length > 7 &&
    value.charCodeAt(6) === 32 &&
    (value.charCodeAt(0) | 32) === 98 && // b
    (value.charCodeAt(1) | 32) === 101 && // e
    (value.charCodeAt(2) | 32) === 97 && // a
    (value.charCodeAt(3) | 32) === 114 && // r
    (value.charCodeAt(4) | 32) === 101 && // e
    (value.charCodeAt(5) | 32) === 114 // r
  )
}
