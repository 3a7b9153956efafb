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
 * Whether a response says "your token is no good, get another": a 401 whose Bearer challenge has
 * `error="invalid_token"` or no error at all (RFC 6750 §3.1), or a 401 with no challenge. Never a
 * 403 (a new token would have the same scopes) nor a 503 (the API, not the token, is the problem).
 *
 * @example
 * ```ts
 * if (asksForNewToken(response)) client.invalidate(token)
 * ```
 */
export function asksForNewToken(response: Response): boolean {
  if (response.status !== 401) return false
  const header = response.headers.get('www-authenticate')
  if (header === null) return true
  const bearer = parseChallenges(header).find((challenge) => challenge.scheme.toLowerCase() === 'bearer')
  if (bearer === undefined) return false
  const error = bearer.params.error
  return error === undefined || error === 'invalid_token'
}
