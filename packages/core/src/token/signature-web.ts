/**
 * The WebCrypto signature path (see signature-path.ts), for runtimes without
 * node:crypto (Cloudflare Workers without `nodejs_compat`, and others): jose
 * verifies, on a CryptoKey imported once per key and algorithm. Nothing here
 * imports a Node.js built-in or uses `Buffer`.
 */
import { base64url, type CryptoKey, compactVerify, importJWK, type JWK } from 'jose'
import { COORDINATE_BYTES } from '../keys/key-material.js'
import type { CompactJws } from './compact-jws.js'
import { RSA_MAX_BITS, RSA_MIN_BITS } from './rsa-bits.js'
import type { SignatureKey } from './signature-path.js'

/** A JWK, and its CryptoKeys as they are imported: WebCrypto binds a key to one algorithm. */
interface WebKey {
  readonly jwk: JWK
  readonly imported: Map<string, Promise<CryptoKey | undefined>>
}

/**
 * Verifies with jose's `compactVerify`, so the signature rules (ECDSA as raw
 * r||s, PSS salt as long as the digest) are jose's own. Any failure, a key
 * WebCrypto would not import included, is a signature that does not verify.
 */
export async function verifySignature(jws: CompactJws, key: SignatureKey, alg: string): Promise<boolean> {
  const cryptoKey = await cryptoKeyFor(key as unknown as WebKey, alg)
  if (cryptoKey === undefined) return false
  try {
    await compactVerify(jws.token, cryptoKey, { algorithms: [alg] })
    return true
  } catch {
    return false
  }
}

function cryptoKeyFor(key: WebKey, alg: string): Promise<CryptoKey | undefined> {
  let imported = key.imported.get(alg)
  if (imported === undefined) {
    imported = importJWK(key.jwk, alg).then(
      (cryptoKey) => cryptoKey as CryptoKey,
      () => undefined,
    )
    key.imported.set(alg, imported)
  }
  return imported
}

/**
 * Checks what can be checked without WebCrypto (which imports only
 * asynchronously): the encoding and size of the key's numbers, and the RSA
 * modulus bounds that node:crypto's path applies too. A point off its curve
 * is found at the first verification and verifies nothing.
 */
export function importSignatureKey(jwk: JWK): SignatureKey | string {
  const members = jwk.kty === 'RSA' ? [jwk.n, jwk.e] : jwk.kty === 'EC' ? [jwk.x, jwk.y] : [jwk.x]
  let decoded: Uint8Array[]
  try {
    decoded = members.map((member) => decodeBase64url(member as string))
  } catch {
    return 'key material is invalid'
  }
  if (jwk.kty === 'RSA') {
    const [modulus, exponent] = decoded as [Uint8Array, Uint8Array]
    const bits = bitLength(modulus)
    if (exponent.length === 0 || bits === 0) return 'key material is invalid'
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      return `RSA modulus of ${bits} bits is outside ${RSA_MIN_BITS}-${RSA_MAX_BITS}`
    }
  } else if (decoded.some((coordinate) => coordinate.length !== COORDINATE_BYTES[jwk.crv as string])) {
    return 'key material is invalid'
  }
  const key: WebKey = { jwk, imported: new Map() }
  return key as unknown as SignatureKey
}

/** Bits of a big-endian unsigned integer, leading zero bytes ignored. */
function bitLength(bytes: Uint8Array): number {
  let first = 0
  while (first < bytes.length && bytes[first] === 0) first++
  if (first === bytes.length) return 0
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first] as number))
}

/** jose's decoder; it throws on characters outside the alphabet. */
export function decodeBase64url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new TypeError('invalid base64url length')
  return base64url.decode(text)
}
