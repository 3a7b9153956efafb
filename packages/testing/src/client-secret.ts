import { createHash, timingSafeEqual } from 'node:crypto'
import { invalidClient } from './oauth-error.js'

/**
 * Compares a presented secret with the registered one in constant time. Both are hashed first,
 * so neither the content nor the length of the secret leaks through timing; a missing
 * registered secret costs the same comparison.
 *
 * @example
 * ```ts
 * secretMatches('s3cret', client.clientSecret) // true or false
 * ```
 */
export function secretMatches(presented: string, registered: string | undefined): boolean {
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256')
    .update(registered ?? `\u0000${presented}`)
    .digest()
  return timingSafeEqual(a, b) && registered !== undefined
}

/**
 * Whether the presented secret is any of the client's active secrets (several during a rotation).
 * Every one is compared, so the time taken does not tell which matched, or whether one did.
 *
 * @example
 * ```ts
 * anySecretMatches('s3cret', client.secrets) // true or false
 * ```
 */
export function anySecretMatches(presented: string, registered: readonly string[] | undefined): boolean {
  if (registered === undefined || registered.length === 0) return secretMatches(presented, undefined)
  let matched = false
  for (const secret of registered) matched = secretMatches(presented, secret) || matched
  return matched
}

/**
 * Reads `Authorization: Basic …` as RFC 6749 §2.3.1 defines it: the client id and secret are
 * each form-urlencoded before they are joined with ':' and base64-encoded, so they are
 * form-decoded here ('+' is a space, %XX a byte).
 *
 * @example
 * ```ts
 * parseBasicCredentials('Basic ' + btoa('my%20client:s3cret')) // { clientId: 'my client', clientSecret: 's3cret' }
 * ```
 */
export function parseBasicCredentials(authorization: string): { clientId: string; clientSecret: string } {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization)
  if (match?.[1] === undefined) throw invalidClient('malformed Basic credentials', true)
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) throw invalidClient('Basic credentials must be client_id:client_secret', true)
  try {
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    }
  } catch {
    throw invalidClient('Basic credentials must be form-urlencoded (RFC 6749 section 2.3.1)', true)
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '))
}
