/**
 * The public key of a DPoP proof (its `jwk` header) and its RFC 7638
 * thumbprint, the value a DPoP-bound token names in `cnf.jkt` (RFC 9449 §6.1).
 */
import { sha256Base64url } from '#binding-crypto'

/** The members of a public JWK that define the key (RFC 7638 §3.2), all base64url strings but `kty`/`crv`. */
export type PublicJwk =
  | { kty: 'EC'; crv: 'P-256' | 'P-384' | 'P-521'; x: string; y: string }
  | { kty: 'OKP'; crv: 'Ed25519'; x: string }
  | { kty: 'RSA'; n: string; e: string }

// RFC 7517 §4 and RFC 7518 §6: every member that carries private or symmetric key material.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']
const BASE64URL = /^[A-Za-z0-9_-]+$/
// Coordinates and moduli as long as the curves and the accepted RSA sizes make them
// (ceil(bytes × 4 / 3) characters); checked before any key is imported.
const COORDINATE_LENGTH: Record<string, number> = { 'P-256': 43, 'P-384': 64, 'P-521': 88, Ed25519: 43 }
const RSA_MODULUS_LENGTH = { min: 342, max: 1366 } // 2048 … 8192 bits
const RSA_EXPONENT_MAX_LENGTH = 8

/** Why a `jwk` cannot be a DPoP proof key, or the key. */
export type JwkCheck = { jwk: PublicJwk } | { invalid: string }

/**
 * Reduces `value` to the public key members, refusing anything that is not
 * a well-formed public key of the type `alg` signs with (RFC 9449 §4.3
 * checks 5 and 7).
 *
 * @example
 * publicJwkFor({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }, 'ES256') // { jwk: { kty: 'EC', … } }
 */
export function publicJwkFor(value: unknown, alg: string): JwkCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { invalid: "'jwk' header is not a JSON object" }
  }
  const jwk = value as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return { invalid: "'jwk' header carries private key material" }
  }
  const member = (name: string, length?: number) => {
    const text = jwk[name]
    if (typeof text !== 'string' || !BASE64URL.test(text)) return undefined
    return length === undefined || text.length === length ? text : undefined
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const n = member('n')
    const e = member('e')
    if (jwk.kty !== 'RSA' || n === undefined || e === undefined)
      return { invalid: `'jwk' is not an RSA key for ${alg}` }
    if (n.length < RSA_MODULUS_LENGTH.min || n.length > RSA_MODULUS_LENGTH.max) {
      return { invalid: "'jwk' RSA modulus is outside 2048-8192 bits" }
    }
    if (e.length > RSA_EXPONENT_MAX_LENGTH) return { invalid: "'jwk' RSA exponent is too long" }
    return { jwk: { kty: 'RSA', n, e } }
  }
  const crv = curveOf(alg)
  if (crv === undefined) return { invalid: `no key type for ${alg}` }
  if (jwk.crv !== crv) return { invalid: `'jwk' is not a ${crv} key for ${alg}` }
  const x = member('x', COORDINATE_LENGTH[crv])
  if (crv === 'Ed25519') {
    if (jwk.kty !== 'OKP' || x === undefined) return { invalid: `'jwk' is not an Ed25519 key for ${alg}` }
    return { jwk: { kty: 'OKP', crv, x } }
  }
  const y = member('y', COORDINATE_LENGTH[crv])
  if (jwk.kty !== 'EC' || x === undefined || y === undefined) {
    return { invalid: `'jwk' is not a ${crv} key for ${alg}` }
  }
  return { jwk: { kty: 'EC', crv, x, y } }
}

function curveOf(alg: string): 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | undefined {
  if (alg === 'ES256') return 'P-256'
  if (alg === 'ES384') return 'P-384'
  if (alg === 'ES512') return 'P-521'
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'Ed25519'
  return undefined
}

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) of a public key: the hash of
 * its required members in lexicographic order, without whitespace.
 *
 * @example
 * jwkThumbprint({ kty: 'RSA', n: '0vx7…', e: 'AQAB' }) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  // The members are base64url or fixed names: JSON.stringify escapes none of them.
  const canonical =
    jwk.kty === 'RSA'
      ? `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`
      : jwk.kty === 'EC'
        ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`
        : `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`
  return sha256Base64url(canonical)
}
