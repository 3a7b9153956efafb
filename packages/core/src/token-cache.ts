/**
 * Remembers verified tokens, so that a client reusing its token (as clients
 * should, for minutes) costs a lookup instead of a signature check. Bounded
 * in entries (LRU); an entry never outlives the token's `exp` (or
 * `maxTokenAge`), nor the key that verified it: neither its removal from the
 * key set, nor the end of the set's stale window when the issuer is down.
 */
import { LRUCache } from 'lru-cache'
import type { VerificationKey } from './keys/verification-key.js'
import type { AuthResult } from './types.js'

interface Entry {
  auth: AuthResult
  key: VerificationKey
  /** ms since epoch, per the verifier's clock; the token fails verification from then on. */
  validUntil: number
}

export class TokenCache {
  readonly #entries: LRUCache<string, Entry>

  constructor(max: number) {
    this.#entries = new LRUCache<string, Entry>({ max })
  }

  /** The cached result for `token`, if it is still valid at `now` and its key still usable. */
  get(token: string, now: number): AuthResult | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (now >= entry.validUntil || now >= entry.key.usableUntil) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.auth
  }

  set(token: string, auth: AuthResult, key: VerificationKey, validUntil: number): void {
    this.#entries.set(token, { auth, key, validUntil })
  }

  get size(): number {
    return this.#entries.size
  }
}
