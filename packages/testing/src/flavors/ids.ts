import { createHash, randomBytes } from 'node:crypto'

/**
 * A UUID derived from `seed`, the same every time: providers give a client's service
 * principal or service-account user a fixed id (Entra `oid`, Keycloak `sub`).
 *
 * @example
 * ```ts
 * stableUuid('entra-oid:billing') === stableUuid('entra-oid:billing') // true
 * ```
 */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  // Version 4 and RFC 9562 variant bits, so GUID checks accept it.
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * Random base64url characters, for the opaque ids providers put in tokens (`uti`, `aio`, Okta's `jti`).
 *
 * @example
 * ```ts
 * opaqueId(16).length // 22
 * ```
 */
export function opaqueId(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** RFC 9562 UUID text form. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
