/**
 * base64url(SHA-256(…)): the digest DPoP (`ath`, `jkt`) and mTLS (`x5t#S256`)
 * bindings are written in. One module, so a runtime without node:crypto
 * needs one replacement.
 */
import { createHash } from 'node:crypto'

/**
 * base64url of the SHA-256 of `input` (a string is hashed as UTF-8).
 *
 * @example
 * sha256Base64url('abc') // 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
 */
export function sha256Base64url(input: string | Uint8Array): string {
  return createHash('sha256').update(input).digest('base64url')
}
