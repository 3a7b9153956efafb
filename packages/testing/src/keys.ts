import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { SigningAlgorithm } from './options.js'

// The members that make up a public key, per key type. Copying only these guarantees that no
// private member (d, p, q, …) ever reaches the JWKS, whatever the export returns.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
}

/**
 * A signing key pair with its published form.
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256')
 * key.publicJwk // { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' }
 * ```
 */
export interface SigningKey {
  /** Key id: the RFC 7638 thumbprint of the public key. */
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  /** The public JWK as the JWKS publishes it: kty, kid, alg, use 'sig' and the public members. */
  readonly publicJwk: JWK
}

/**
 * Generates an extractable key pair (extractable so tests can re-use it under another `alg`
 * and export the public key for algorithm-confusion tokens).
 *
 * @example
 * ```ts
 * const { kid, privateKey } = await generateSigningKey('RS256')
 * ```
 */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const exported = (await exportJWK(publicKey)) as Record<string, unknown>
  const material: Record<string, unknown> = { kty: exported.kty }
  for (const member of PUBLIC_MEMBERS[String(exported.kty)] ?? []) {
    if (exported[member] !== undefined) material[member] = exported[member]
  }
  const kid = await calculateJwkThumbprint(material as JWK)
  return { kid, alg, privateKey, publicKey, publicJwk: { ...material, kid, alg, use: 'sig' } as JWK }
}

interface RetiredKey {
  readonly key: SigningKey
  /** Seconds since the epoch after which no token it signed is still valid. */
  readonly publishedUntil: number
}

/**
 * The server's keys: the current one, the keys it replaced while their tokens live, and a
 * foreign key per algorithm that is never published.
 *
 * @example
 * ```ts
 * const store = await KeyStore.create('RS256', Date.now)
 * await store.rotate({ retainFor: 300 })
 * store.jwks().keys.length // 2
 * ```
 */
export class KeyStore {
  #current: SigningKey
  #previous: SigningKey | undefined
  #retired: RetiredKey[] = []
  // Latest `exp` each key has signed, so a retired key stays published exactly as long as needed.
  readonly #latestExp = new WeakMap<SigningKey, number>()
  readonly #foreign = new Map<SigningAlgorithm, Promise<SigningKey>>()
  readonly #clock: () => number

  private constructor(current: SigningKey, clock: () => number) {
    this.#current = current
    this.#clock = clock
  }

  /** Generates the first key. */
  static async create(alg: SigningAlgorithm, clock: () => number): Promise<KeyStore> {
    return new KeyStore(await generateSigningKey(alg), clock)
  }

  get current(): SigningKey {
    return this.#current
  }

  /** The key the last rotation replaced, even once it is no longer published. */
  get previous(): SigningKey | undefined {
    return this.#previous
  }

  /** Remembers that `key` signed a token expiring at `exp` (seconds). */
  noteSigned(key: SigningKey, exp: unknown): void {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return
    this.#latestExp.set(key, Math.max(this.#latestExp.get(key) ?? 0, exp))
  }

  /**
   * Makes a new current key. The old one stays published for `retainFor` seconds or until the
   * last token it signed expires, whichever is later, unless `dropPrevious`.
   */
  async rotate(options: { retainFor: number; dropPrevious?: boolean; algorithm?: SigningAlgorithm }) {
    const next = await generateSigningKey(options.algorithm ?? this.#current.alg)
    const old = this.#current
    const now = this.#now()
    this.#current = next
    this.#previous = old
    if (options.dropPrevious === true) {
      this.#retired = []
      return
    }
    const publishedUntil = Math.max(now + options.retainFor, this.#latestExp.get(old) ?? 0)
    this.#retired.push({ key: old, publishedUntil })
  }

  /** The published key set: the current key first, then retired keys whose tokens may still live. */
  jwks(): { keys: JWK[] } {
    const now = this.#now()
    this.#retired = this.#retired.filter((retired) => retired.publishedUntil > now)
    const keys = [this.#current, ...this.#retired.map((retired) => retired.key).reverse()]
    return { keys: keys.map((key) => ({ ...key.publicJwk })) }
  }

  /** A key of `alg` that is never published: tokens it signs must fail verification. */
  foreign(alg: SigningAlgorithm): Promise<SigningKey> {
    let key = this.#foreign.get(alg)
    if (key === undefined) {
      key = generateSigningKey(alg)
      this.#foreign.set(alg, key)
    }
    return key
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000)
  }
}
