/**
 * Validates a JSON Web Key Set from the issuer (or from the options) and
 * keeps the keys that can verify tokens here.
 */
import { importVerificationKey, type VerificationKey } from './verification-key.js'

/** A validated key set: usable keys, and the ones skipped with their reasons. */
export interface ParsedJwks {
  keys: VerificationKey[]
  skipped: { kid: string | undefined; why: string }[]
}

/**
 * Throws an Error describing the problem if `body` is not a key set, or has
 * more than `maxKeys` keys; otherwise returns its usable keys.
 */
export function parseJwks(
  body: unknown,
  options: { algorithms: ReadonlySet<string>; maxKeys: number },
): ParsedJwks {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new Error('response is not a JSON Web Key Set: no "keys" array')
  }
  const entries = (body as { keys: unknown[] }).keys
  if (entries.length > options.maxKeys) {
    throw new Error(`key set has ${entries.length} keys, more than the ${options.maxKeys} allowed`)
  }
  const parsed: ParsedJwks = { keys: [], skipped: [] }
  for (const entry of entries) {
    const result = importVerificationKey(entry, options.algorithms)
    if ('key' in result) parsed.keys.push(result.key)
    else parsed.skipped.push({ kid: result.kid, why: result.skipped })
  }
  return parsed
}
