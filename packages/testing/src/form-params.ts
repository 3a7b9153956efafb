import { invalidRequest } from './oauth-error.js'

// RFC 8707 lets `resource` repeat; `audience` is its older, non-standard sibling and is
// treated the same. Every other parameter must appear at most once (RFC 6749 §3.2).
const REPEATABLE = new Set(['resource', 'audience'])

/**
 * The parameters of a token request. Empty values count as absent (RFC 6749 §3.1).
 *
 * @example
 * ```ts
 * const params = parseFormParams('grant_type=client_credentials&scope=a+b')
 * params.get('scope') // 'a b'
 * ```
 */
export interface FormParams {
  /** The single value of a parameter, if present. */
  get(name: string): string | undefined
  /** Every value of a repeatable parameter. */
  getAll(name: string): string[]
  has(name: string): boolean
}

/**
 * Parses an `application/x-www-form-urlencoded` body; rejects repeated parameters with `invalid_request`.
 *
 * @example
 * ```ts
 * parseFormParams('resource=https://a.example&resource=https://b.example').getAll('resource').length // 2
 * ```
 */
export function parseFormParams(body: string): FormParams {
  const values = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue
    const list = values.get(name) ?? []
    if (list.length > 0 && !REPEATABLE.has(name)) throw invalidRequest(`parameter "${name}" is repeated`)
    list.push(value)
    values.set(name, list)
  }
  return {
    get: (name) => values.get(name)?.[0],
    getAll: (name) => [...(values.get(name) ?? [])],
    has: (name) => values.has(name),
  }
}
