import { createPrivateKey, type JsonWebKey, KeyObject } from 'node:crypto'
import type { CryptoKey, JWK } from 'jose'

/**
 * A private key for `private_key_jwt`: a private JWK, a Node.js `KeyObject` or a Web Crypto `CryptoKey`
 * (jose's key types). RSA (2048 bits or more), EC P-256/P-384/P-521 and Ed25519 keys are accepted.
 *
 * @example
 * ```ts
 * const privateKey: PrivateKey = JSON.parse(process.env.CLIENT_JWK!)
 * ```
 */
export type PrivateKey = JWK | CryptoKey | KeyObject

/**
 * A validated signing key: a Node.js private key object, the JWS algorithm and an optional key id.
 *
 * @example
 * ```ts
 * const { key, algorithm, keyId } = resolveSigningKey(jwk, undefined, undefined)
 * ```
 */
export interface SigningKey {
  key: KeyObject
  algorithm: string
  keyId: string | undefined
}

// Which key each algorithm needs. Symmetric and `none` algorithms are absent on purpose: a client
// assertion is signed with the client's own private key (RFC 7523), never with a shared secret.
const ALGORITHMS: Record<string, { type: string; curve?: string }> = {
  RS256: { type: 'rsa' },
  RS384: { type: 'rsa' },
  RS512: { type: 'rsa' },
  PS256: { type: 'rsa' },
  PS384: { type: 'rsa' },
  PS512: { type: 'rsa' },
  ES256: { type: 'ec', curve: 'prime256v1' },
  ES384: { type: 'ec', curve: 'secp384r1' },
  ES512: { type: 'ec', curve: 'secp521r1' },
  EdDSA: { type: 'ed25519' },
  Ed25519: { type: 'ed25519' },
}

// Node 20 has CryptoKey as a global only (not on `crypto.webcrypto`); look it up without assuming it.
const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new (...args: never[]) => unknown }).CryptoKey

function isCryptoKey(value: unknown): value is CryptoKey {
  return CryptoKeyClass !== undefined && value instanceof CryptoKeyClass
}

function fail(message: string, option: string): never {
  throw new TypeError(`"${option}" option ${message}`)
}

// Turns every accepted shape into a KeyObject now, so a broken or public key fails at createTokenClient
// instead of at the first token request. Messages never quote key material.
function toKeyObject(input: unknown, option: string): KeyObject {
  if (input instanceof KeyObject) return input
  if (isCryptoKey(input)) return KeyObject.from(input as Parameters<typeof KeyObject.from>[0])
  if (typeof input !== 'object' || input === null || typeof (input as JWK).kty !== 'string') {
    fail('must be a private JWK, a KeyObject or a CryptoKey', option)
  }
  const jwk = input as JWK
  if (jwk.kty === 'oct') fail('must be an asymmetric private key, not a symmetric "oct" JWK', option)
  if (typeof jwk.d !== 'string') fail('must be a private key: the JWK has no "d"', option)
  try {
    return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
  } catch {
    return fail('is not a valid private JWK', option)
  }
}

function defaultAlgorithm(key: KeyObject, option: string): string {
  const type = key.asymmetricKeyType
  if (type === 'rsa') return 'RS256'
  if (type === 'rsa-pss') return 'PS256'
  if (type === 'ed25519') return 'EdDSA'
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const match = Object.entries(ALGORITHMS).find(([, need]) => need.curve === curve)
    if (match) return match[0]
  }
  return fail(
    `has an unsupported key type (${type ?? 'unknown'}); use RSA, EC P-256/384/521 or Ed25519`,
    option,
  )
}

/**
 * Validates a `private_key_jwt` key and picks its algorithm: the `algorithm` option, else the JWK's
 * `alg`, else the usual one for the key type (RS256, PS256, ES256/384/512 by curve, EdDSA).
 *
 * @example
 * ```ts
 * const { privateKey } = await generateKeyPair('ES256', { extractable: true })
 * resolveSigningKey(privateKey, undefined, 'key-1') // { algorithm: 'ES256', keyId: 'key-1', key }
 * ```
 */
export function resolveSigningKey(
  input: unknown,
  algorithm: string | undefined,
  keyId: string | undefined,
  option = 'privateKey',
): SigningKey {
  const key = toKeyObject(input, option)
  if (key.type !== 'private') fail('must be a private key', option)
  const jwk = input instanceof KeyObject || isCryptoKey(input) ? undefined : (input as JWK)
  const alg = algorithm ?? jwk?.alg ?? defaultAlgorithm(key, option)
  const need = ALGORITHMS[alg]
  if (need === undefined) {
    throw new TypeError(`"algorithm" option must be one of ${Object.keys(ALGORITHMS).join(', ')}`)
  }
  const type = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (type !== need.type || (need.curve !== undefined && curve !== need.curve)) {
    throw new TypeError(`"algorithm" option ${alg} does not match the private key's type`)
  }
  if (type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    fail('must be an RSA key of 2048 bits or more', option)
  }
  return { key, algorithm: alg, keyId: keyId ?? jwk?.kid }
}
