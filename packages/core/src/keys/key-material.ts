/**
 * The shape of a public key's numbers, checked the same way on every
 * signature path (node:crypto's decoder skips characters outside the
 * alphabet and takes coordinates of any length; WebCrypto does not), so a
 * key set gets the same verdict on Node.js as on Workers. RFC 7518 §6.2.1.2:
 * EC coordinates are the full size of the curve; §6.3.1: RSA `n` and `e`.
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/

/** Bytes of each coordinate, per curve (RFC 7518 §6.2.1.2, RFC 8037 §2). */
export const COORDINATE_BYTES: Readonly<Record<string, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  Ed25519: 32,
}

/**
 * Why the numbers of a public JWK (`kty` RSA, EC or OKP, members already
 * strings) are malformed, or undefined if they are well formed.
 *
 * @example
 * keyMaterialProblem({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' }) // 'key material is invalid'
 */
export function keyMaterialProblem(jwk: {
  kty?: unknown
  crv?: unknown
  [member: string]: unknown
}): string | undefined {
  const members = jwk.kty === 'RSA' ? [jwk.n, jwk.e] : jwk.kty === 'EC' ? [jwk.x, jwk.y] : [jwk.x]
  for (const member of members) {
    if (typeof member !== 'string' || !BASE64URL.test(member) || member.length % 4 === 1) {
      return 'key material is invalid'
    }
  }
  if (jwk.kty === 'RSA') return undefined
  const bytes = COORDINATE_BYTES[jwk.crv as string]
  // Unpadded base64url: 4 characters per 3 bytes, the last group shorter.
  if (members.some((member) => Math.floor(((member as string).length * 3) / 4) !== bytes)) {
    return 'key material is invalid'
  }
  return undefined
}
