/**
 * The node:crypto signature path (see signature-path.ts), for runtimes that
 * have node:crypto (Node.js, Bun, Deno): the signature of a compact JWS,
 * computed on a KeyObject imported once per key.
 *
 * Why not jose here: on Node 20, `jwtVerify` verifies through WebCrypto,
 * which costs a promise and a thread-pool round trip per signature (about
 * 2.5× a bare RS256 check when requests come one at a time). The
 * differential test (test/differential.test.ts) holds this path to jose's
 * verdict on valid and mutated tokens of every algorithm.
 */
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto'
import { errors, type JWK } from 'jose'
import type { CompactJws } from './compact-jws.js'
import { RSA_MAX_BITS, RSA_MIN_BITS } from './rsa-bits.js'
import type { SignatureKey } from './signature-path.js'

/** How node:crypto verifies one JWS algorithm: the digest, and the key's encoding options. */
interface SignatureParams {
  hash: string | null
  scheme: 'pkcs1' | 'pss' | 'ecdsa' | 'eddsa'
}

// What WebCrypto does for each JWS algorithm (RFC 7518 §3): PKCS#1 v1.5; PSS
// with the salt as long as the digest; ECDSA as raw r||s (not DER); Ed25519.
const SIGNATURE_PARAMS: Record<string, SignatureParams> = {
  RS256: { hash: 'sha256', scheme: 'pkcs1' },
  RS384: { hash: 'sha384', scheme: 'pkcs1' },
  RS512: { hash: 'sha512', scheme: 'pkcs1' },
  PS256: { hash: 'sha256', scheme: 'pss' },
  PS384: { hash: 'sha384', scheme: 'pss' },
  PS512: { hash: 'sha512', scheme: 'pss' },
  ES256: { hash: 'sha256', scheme: 'ecdsa' },
  ES384: { hash: 'sha384', scheme: 'ecdsa' },
  ES512: { hash: 'sha512', scheme: 'ecdsa' },
  EdDSA: { hash: null, scheme: 'eddsa' },
  Ed25519: { hash: null, scheme: 'eddsa' },
}

/** The key argument of crypto.verify; a bare KeyObject means PKCS#1 v1.5 for RSA, and is all Ed25519 needs. */
function keyInput(key: KeyObject, scheme: SignatureParams['scheme']) {
  if (scheme === 'pss') {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
  }
  if (scheme === 'ecdsa') return { key, dsaEncoding: 'ieee-p1363' as const }
  return key
}

/** The arguments of crypto.verify for `jws`, `key` and `alg`. */
function verifyArguments(jws: CompactJws, key: SignatureKey, alg: string) {
  const params = SIGNATURE_PARAMS[alg]
  if (params === undefined) throw new errors.JOSENotSupported(`alg ${alg} is not supported`)
  const signature = decodeBase64url(jws.token.slice(jws.payloadEnd + 1))
  const data = Buffer.from(jws.token.slice(0, jws.payloadEnd), 'latin1')
  return [params.hash, data, keyInput(key as unknown as KeyObject, params.scheme), signature] as const
}

/**
 * Verifies the signature of `jws` with `key` for `alg`; `alg` must be one the
 * key may verify (the key set guarantees it). Returns false for a signature
 * that does not verify, including one node:crypto cannot even parse, as
 * WebCrypto does. Synchronous, on this thread: one request at a time, a round
 * trip to libuv's thread pool costs more than the check itself (bench/RESULTS.md,
 * "floor: node:crypto verify on the thread pool", 1 in flight: 0.2–0.4× this).
 */
export function verifySignature(jws: CompactJws, key: SignatureKey, alg: string): boolean {
  const [hash, data, keyArgument, signature] = verifyArguments(jws, key, alg)
  try {
    return verify(hash, data, keyArgument, signature)
  } catch {
    return false
  }
}

/**
 * The same verdict as {@link verifySignature}, computed on libuv's thread
 * pool (node:crypto's asynchronous `verify`), so that the check runs on
 * another core while this thread goes on with other requests. Worth it only
 * when verifications overlap (new-token.ts decides): see bench/RESULTS.md,
 * "m2m-guard authenticate() (token cache off)" at 16 in flight against the
 * node:crypto floor.
 */
export function verifySignatureOffThread(jws: CompactJws, key: SignatureKey, alg: string): Promise<boolean> {
  const [hash, data, keyArgument, signature] = verifyArguments(jws, key, alg)
  return new Promise((resolve) => {
    try {
      // An error (a signature node:crypto cannot parse) is a signature that does not verify, as above.
      verify(hash, data, keyArgument, signature, (error, valid) => resolve(error === null && valid))
    } catch {
      resolve(false)
    }
  })
}

/** A KeyObject for `jwk`, or why not: material node:crypto refuses, or an RSA modulus out of bounds. */
export function importSignatureKey(jwk: JWK): SignatureKey | string {
  let keyObject: KeyObject
  try {
    keyObject = createPublicKey({ key: jwk, format: 'jwk' })
  } catch {
    return 'key material is invalid'
  }
  const bits = keyObject.asymmetricKeyDetails?.modulusLength
  if (bits !== undefined && (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)) {
    return `RSA modulus of ${bits} bits is outside ${RSA_MIN_BITS}-${RSA_MAX_BITS}`
  }
  return keyObject as unknown as SignatureKey
}

/** Buffer's decoder: about 8× faster than jose's on Node.js 20. */
export function decodeBase64url(text: string): Uint8Array {
  return Buffer.from(text, 'base64url')
}
