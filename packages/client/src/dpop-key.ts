import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import type { JWK } from 'jose'
import { type PrivateKey, resolveSigningKey, type SigningKey } from './signing-key.js'

/**
 * The `dpop` option: `true` for a key made by the client (ES256, once per client, never leaving the
 * process), or `{ privateKey }` to bring your own (a private JWK, `KeyObject` or `CryptoKey`: EC
 * P-256/384/521, Ed25519, or RSA of 2048 bits or more).
 *
 * @example
 * ```ts
 * createTokenClient({ ...credentials, dpop: true })
 * createTokenClient({ ...credentials, dpop: { privateKey: JSON.parse(process.env.DPOP_JWK!) } })
 * ```
 */
export interface DpopOptions {
  /** The proof key. Default: an ES256 key generated when the client is created. */
  privateKey?: PrivateKey
}

/**
 * The key DPoP proofs are signed with, and the public JWK they carry in their header.
 *
 * @example
 * ```ts
 * const key = resolveDpopKey(true) // { algorithm: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x, y }, … }
 * ```
 */
export interface DpopKey extends SigningKey {
  publicJwk: JWK
}

// The public members of each key type (RFC 7518 §6); nothing else reaches a proof header.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
}

function publicJwkOf(signing: SigningKey): JWK {
  const exported = createPublicKey(signing.key).export({ format: 'jwk' }) as Record<string, unknown>
  const members = PUBLIC_MEMBERS[String(exported.kty)] ?? []
  return Object.fromEntries(members.map((name) => [name, exported[name]])) as JWK
}

/**
 * Validates the `dpop` option, now: a bad key throws a TypeError naming `dpop.privateKey`.
 * Returns `undefined` when DPoP is off.
 *
 * @example
 * ```ts
 * resolveDpopKey({ privateKey: jwk })?.algorithm // 'ES256' for a P-256 key
 * ```
 */
export function resolveDpopKey(option: unknown): DpopKey | undefined {
  if (option === undefined || option === false) return undefined
  if (option !== true && (typeof option !== 'object' || option === null || Array.isArray(option))) {
    throw new TypeError('"dpop" option must be true, false or { privateKey }')
  }
  const given = option === true ? undefined : (option as DpopOptions).privateKey
  const privateKey = given ?? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  // The JWK's `kid` is not used: the proof carries the key itself (RFC 9449 §4.2).
  const signing = resolveSigningKey(privateKey, undefined, undefined, 'dpop.privateKey')
  return { ...signing, keyId: undefined, publicJwk: publicJwkOf(signing) }
}
