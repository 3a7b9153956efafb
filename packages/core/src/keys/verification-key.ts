/**
 * A public key from the issuer's key set, reduced to its public members and
 * to the algorithms it may verify. Key sets are validated here, once per
 * fetch, so that the request path only filters and verifies.
 */

import type { JWK } from 'jose'
import { importSignatureKey } from '#signature'
import type { SignatureKey } from '../token/signature-path.js'
import { keyMaterialProblem } from './key-material.js'

/** A usable verification key, for as long as its key set vouches for it (`usableUntil`). */
export interface VerificationKey {
  readonly kid: string | undefined
  /** Public members only (no `alg`, `use`, `key_ops`: selection happens before jose sees it). */
  readonly jwk: Readonly<JWK>
  /** The same key, imported once for the runtime's signature path, so no request imports a key. */
  readonly signatureKey: SignatureKey
  readonly algorithms: ReadonlySet<string>
  /**
   * The key's `issuer` member, which Microsoft Entra's key sets carry
   * (`https://login.microsoftonline.com/{tenantid}/v2.0` or one tenant's
   * issuer): the issuer whose tokens this key may sign.
   */
  readonly issuer: string | undefined
  /** Identity across refetches: same kid and same public material means the same key. */
  readonly fingerprint: string
  /**
   * From when (ms since epoch, per the verifier's clock) the key no longer
   * verifies: the end of its key set's stale window, moved on by every
   * refresh, or `-Infinity` once the key has left the set. Cached tokens it
   * verified stop passing at the same instant.
   */
  usableUntil: number
}

/** Outcome of checking one JWK: a key, or why it was skipped. */
export type KeyImport = { key: VerificationKey } | { skipped: string; kid: string | undefined }

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const CURVE_ALGORITHMS: Record<string, string[]> = {
  'P-256': ['ES256'],
  'P-384': ['ES384'],
  'P-521': ['ES512'],
  Ed25519: ['EdDSA', 'Ed25519'],
}

/**
 * Checks one JWK from a key set and returns it as a {@link VerificationKey},
 * or the reason it cannot verify tokens here.
 */
export function importVerificationKey(value: unknown, allowed: ReadonlySet<string>): KeyImport {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { skipped: 'not a JSON object', kid: undefined }
  }
  const jwk = value as Record<string, unknown>
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
  const skip = (why: string): KeyImport => ({ skipped: why, kid })

  if (jwk.kid !== undefined && kid === undefined) return skip('"kid" is not a string')
  if (jwk.issuer !== undefined && (typeof jwk.issuer !== 'string' || jwk.issuer === '')) {
    return skip('"issuer" is not a non-empty string')
  }
  if (jwk.use !== undefined && jwk.use !== 'sig')
    return skip(`"use" is ${JSON.stringify(jwk.use)}, not "sig"`)
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return skip('"key_ops" does not include "verify"')
  }
  if (PRIVATE_MEMBERS.some((member) => jwk[member] !== undefined)) {
    return skip('private or symmetric key material is never used to verify')
  }
  const publicJwk = publicMembers(jwk)
  if (publicJwk === undefined) return skip(`unsupported key type ${JSON.stringify(jwk.kty)}`)

  const family = publicJwk.kty === 'RSA' ? RSA_ALGORITHMS : (CURVE_ALGORITHMS[publicJwk.crv as string] ?? [])
  let algorithms = family.filter((alg) => allowed.has(alg))
  if (jwk.alg !== undefined) {
    if (typeof jwk.alg !== 'string' || !family.includes(jwk.alg)) {
      return skip(`"alg" ${JSON.stringify(jwk.alg)} does not fit the key type`)
    }
    algorithms = algorithms.filter((alg) => alg === jwk.alg)
  }
  if (algorithms.length === 0) return skip('none of its algorithms is allowed')

  const problem = keyMaterialProblem(publicJwk)
  if (problem !== undefined) return skip(problem)
  const signatureKey = importSignatureKey(publicJwk)
  if (typeof signatureKey === 'string') return skip(signatureKey)
  return {
    key: {
      kid,
      jwk: Object.freeze(publicJwk),
      signatureKey,
      algorithms: new Set(algorithms),
      issuer: jwk.issuer as string | undefined,
      // The algorithms too: the same key republished under another `alg` must not keep its old ones.
      fingerprint: JSON.stringify([kid, publicJwk, jwk.issuer, algorithms]),
      usableUntil: Number.POSITIVE_INFINITY,
    },
  }
}

function publicMembers(jwk: Record<string, unknown>): JWK | undefined {
  const strings = (...names: string[]) => names.every((name) => typeof jwk[name] === 'string')
  if (jwk.kty === 'RSA' && strings('n', 'e')) return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string }
  if (jwk.kty === 'EC' && strings('crv', 'x', 'y') && (jwk.crv as string).startsWith('P-')) {
    return { kty: 'EC', crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string }
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && strings('x')) {
    return { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }
  }
  return undefined
}

/**
 * The keys that may have signed a token with this `kid` and `alg`. Without a
 * `kid`, every key that fits the algorithm is a candidate (RFC 7515 §4.1.4).
 */
export function matchingKeys(
  keys: readonly VerificationKey[],
  kid: string | undefined,
  alg: string,
): VerificationKey[] {
  return keys.filter((key) => (kid === undefined || key.kid === kid) && key.algorithms.has(alg))
}

/**
 * {@link matchingKeys} for one key set, remembering its last answer: token
 * after token brings the same `kid` and `alg`, so the lookup on the new-token
 * path neither filters nor allocates. Recomputed whenever the key set's
 * array, the `kid` or the `alg` differs.
 */
export class KeyMatcher {
  #keys: readonly VerificationKey[] | undefined
  #kid: string | undefined
  #alg: string | undefined
  #found: readonly VerificationKey[] = []

  match(keys: readonly VerificationKey[], kid: string | undefined, alg: string): readonly VerificationKey[] {
    if (keys !== this.#keys || kid !== this.#kid || alg !== this.#alg) {
      this.#found = matchingKeys(keys, kid, alg)
      this.#keys = keys
      this.#kid = kid
      this.#alg = alg
    }
    return this.#found
  }
}
