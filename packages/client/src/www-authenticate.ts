/**
 * One challenge of a `WWW-Authenticate` header: its scheme and auth-params (names lower-cased).
 *
 * @example
 * ```ts
 * const challenge: Challenge = { scheme: 'Bearer', params: { error: 'invalid_token' } }
 * ```
 */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

// RFC 9110 §5.6.2 tchar
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/

/**
 * Parses a `WWW-Authenticate` value (RFC 9110 §11.6.1) into its challenges. Lenient: what it cannot
 * read it skips, because a malformed header must not make a client misbehave.
 *
 * @example
 * ```ts
 * parseChallenges('Bearer realm="api", error="invalid_token", Basic realm="x"')
 * // [{ scheme: 'Bearer', params: { realm: 'api', error: 'invalid_token' } }, { scheme: 'Basic', params: { realm: 'x' } }]
 * ```
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = []
  let i = 0
  const skip = (chars: string) => {
    while (i < header.length && chars.includes(header.charAt(i))) i++
  }
  const token = () => {
    const start = i
    while (i < header.length && TCHAR.test(header.charAt(i))) i++
    return header.slice(start, i)
  }
  const quoted = () => {
    let value = ''
    for (i++; i < header.length && header.charAt(i) !== '"'; i++) {
      if (header.charAt(i) === '\\') i++
      value += header.charAt(i)
    }
    i++
    return value
  }
  while (i < header.length) {
    skip(' \t,')
    const scheme = token()
    if (scheme === '') {
      i++
      continue
    }
    const challenge: Challenge = { scheme, params: {} }
    challenges.push(challenge)
    for (;;) {
      const before = i
      skip(' \t')
      const name = token()
      skip(' \t')
      if (name === '' || header.charAt(i) !== '=') {
        // Not an auth-param: the next challenge's scheme (or a token68, which we do not need).
        i = name === '' ? i : before
        break
      }
      i++
      skip(' \t')
      challenge.params[name.toLowerCase()] = header.charAt(i) === '"' ? quoted() : token()
      skip(' \t')
      if (header.charAt(i) !== ',') break
      i++
    }
  }
  return challenges
}

/**
 * The challenge of `scheme` in a response's `WWW-Authenticate`, if any (scheme compared
 * case-insensitively).
 *
 * @example
 * ```ts
 * challengeFor(response, 'DPoP')?.params.error // 'use_dpop_nonce'
 * ```
 */
export function challengeFor(response: Response, scheme: string): Challenge | undefined {
  const header = response.headers.get('www-authenticate')
  if (header === null) return undefined
  const wanted = scheme.toLowerCase()
  return parseChallenges(header).find((challenge) => challenge.scheme.toLowerCase() === wanted)
}

/**
 * Whether a response says "your token is no good, get another": a 401 whose challenge for the scheme
 * the token was sent with (`Bearer` or `DPoP`) has `error="invalid_token"` or no error at all
 * (RFC 6750 §3.1, RFC 9449 §7.1), or a 401 with no challenge. Never a 403 (a new token would have
 * the same scopes) nor a 503 (the API, not the token, is the problem).
 *
 * @example
 * ```ts
 * if (asksForNewToken(response)) client.invalidate(token)
 * ```
 */
export function asksForNewToken(response: Response, scheme: 'Bearer' | 'DPoP' = 'Bearer'): boolean {
  if (response.status !== 401) return false
  if (!response.headers.has('www-authenticate')) return true
  const challenge = challengeFor(response, scheme)
  if (challenge === undefined) return false
  const error = challenge.params.error
  return error === undefined || error === 'invalid_token'
}
