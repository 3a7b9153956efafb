import { KeyObject } from 'node:crypto'
import {
  base64url,
  CompactSign,
  type CryptoKey,
  exportSPKI,
  type KeyObject as JoseKeyObject,
  type JWK,
} from 'jose'

/**
 * Any key jose can sign with: a CryptoKey, a node:crypto KeyObject, a private JWK or HMAC secret bytes.
 *
 * @example
 * ```ts
 * const { privateKey } = await generateKeyPair('ES256')
 * await server.mint({}, { key: privateKey satisfies SigningKeyInput, alg: 'ES256' })
 * ```
 */
export type SigningKeyInput = CryptoKey | JoseKeyObject | JWK | Uint8Array

/**
 * Signs `payload` as a compact JWS under `header` (which names the `alg`). The payload is
 * serialised as given, so claims of deliberately wrong types survive.
 *
 * @example
 * ```ts
 * const jwt = await signCompact({ sub: 'x', exp: 'soon' }, { alg: 'ES256', kid: 'k1' }, privateKey)
 * ```
 */
export async function signCompact(
  payload: Record<string, unknown>,
  header: Record<string, unknown> & { alg: string },
  key: SigningKeyInput,
): Promise<string> {
  if (header.alg === 'none') return unsignedCompact(payload, header)
  const jws = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header)
  // jose refuses `crit` names it does not recognise; declare them, since a test that sets
  // `crit` wants exactly that header on the wire, to see whether the verifier refuses it.
  const crit = Array.isArray(header.crit)
    ? Object.fromEntries(header.crit.filter((name) => typeof name === 'string').map((name) => [name, false]))
    : undefined
  return jws.sign(key, crit === undefined ? undefined : { crit })
}

/**
 * An unsecured JWS (RFC 7515 Appendix A.5): `alg` is `none` and the signature is empty.
 * Only for tests that check a verifier refuses it.
 *
 * @example
 * ```ts
 * unsignedCompact({ sub: 'x' }, { typ: 'at+jwt' }) // 'eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.'
 * ```
 */
export function unsignedCompact(payload: Record<string, unknown>, header: Record<string, unknown>): string {
  const protectedHeader = base64url.encode(JSON.stringify({ ...header, alg: 'none' }))
  return `${protectedHeader}.${base64url.encode(JSON.stringify(payload))}.`
}

/**
 * How the public key is turned into the HMAC secret of an algorithm-confusion token.
 *
 * @example
 * ```ts
 * await server.mintHmacWithPublicKey({}, { format: 'der' satisfies PublicKeyFormat })
 * ```
 */
export type PublicKeyFormat = 'pem' | 'der' | 'jwk'

/**
 * The public key's bytes in the form a confused verifier would use as an HMAC secret: the SPKI
 * PEM text (the classic attack on libraries that take PEM strings), the DER bytes, or the JWK's JSON.
 *
 * @example
 * ```ts
 * const secret = await publicKeyBytes(key.publicKey, key.publicJwk, 'pem')
 * ```
 */
export async function publicKeyBytes(
  publicKey: CryptoKey,
  jwk: JWK,
  format: PublicKeyFormat,
): Promise<Uint8Array> {
  switch (format) {
    case 'pem':
      return new TextEncoder().encode(await exportSPKI(publicKey))
    case 'der':
      return new Uint8Array(KeyObject.from(publicKey as never).export({ type: 'spki', format: 'der' }))
    case 'jwk':
      return new TextEncoder().encode(JSON.stringify(jwk))
  }
}

/**
 * The private key as a node:crypto KeyObject, which jose re-imports for whichever `alg` a
 * token names. A CryptoKey is bound to one algorithm, and tests need e.g. an RS384 token
 * signed with the RS256 key.
 *
 * @example
 * ```ts
 * await signCompact(claims, { alg: 'PS256' }, asKeyObject(rsaKey.privateKey))
 * ```
 */
export function asKeyObject(key: CryptoKey): JoseKeyObject {
  return KeyObject.from(key as never)
}
