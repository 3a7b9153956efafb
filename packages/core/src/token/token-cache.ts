/**
 * Remembers verified tokens, so that a client reusing its token (as clients
 * should, for minutes) costs a lookup instead of a signature check. Bounded
 * in entries (LRU); an entry never outlives the token's `exp` (or
 * `maxTokenAge`), nor the key that verified it: neither its removal from the
 * key set, nor the end of the set's stale window when the issuer is down.
 */
import { LRUCache } from 'lru-cache'
import type { ResolvedProfile } from '../issuers/profile.js'
import type { VerificationKey } from '../keys/verification-key.js'
import type { Requirement } from '../policy/requirement.js'
import type { UsageSlot } from '../policy/usage.js'
import type { AuthResult } from '../types.js'

// Entries are keyed by a number mixed from the token's last characters
// (signature bytes), not by the token: every request brings a new string, and
// hashing its ~800 characters (or even slicing and hashing a suffix) would
// cost more than the rest of a cache hit; a small integer key allocates
// nothing and hashes at once. An entry counts only if its token equals the one
// looked up, so two tokens sharing a key are a miss (or replace each other),
// never a wrong hit; and only verified tokens are stored, whose signatures no
// one can choose, so forged tokens cannot evict a genuine one.
const KEY_CHARS = 10

/** The cache key of `token`: 30 bits (a small integer), from its last KEY_CHARS characters. */
function keyOf(token: string): number {
  let mixed = 0
  for (let index = Math.max(0, token.length - KEY_CHARS); index < token.length; index++) {
    mixed = Math.imul(mixed ^ token.charCodeAt(index), 0x9e3779b1)
  }
  return (mixed ^ (mixed >>> 15)) & 0x3fffffff
}

/**
 * A slot in `0 … slots-1` (a power of two) from four of the token's last
 * characters, skipping the very last, which in a canonical segment takes only
 * 4 values. For tables where a collision only costs a lookup elsewhere.
 */
export function suffixSlot(token: string, slots: number): number {
  return suffixMix(token) & (slots - 1)
}

/** The four characters suffixSlot reads, mixed into about 22 bits. */
function suffixMix(token: string): number {
  const end = token.length
  return (
    token.charCodeAt(end - 2) * 29791 +
    token.charCodeAt(end - 3) * 961 +
    token.charCodeAt(end - 4) * 31 +
    token.charCodeAt(end - 5)
  )
}

// Entries recently found, by suffix slot: a hit there costs a few character
// reads and one comparison, where the LRU's get costs hashing the key and
// moving the entry (three times as much). A slot only points into the LRU: an
// entry leaving the LRU leaves its slot too, so the bound stays `max`. A hit
// from a slot moves the entry in the LRU one time in REFRESH_EVERY, enough to
// keep a token in use from being evicted as if it were idle.
const HOT_SLOTS = 256
const REFRESH_EVERY = 64

/** A cached result; it also keeps what `usage` remembers of its token. */
export class CachedResult implements UsageSlot {
  /** Hits served from its hot slot. */
  hits = 0
  usageClient: unknown
  usageRequirement: Requirement | undefined
  #settled: Promise<AuthResult> | undefined

  constructor(
    readonly auth: AuthResult,
    readonly key: VerificationKey,
    /** The issuer profile that accepted it: its key set is revalidated on hits. */
    readonly profile: ResolvedProfile,
    /** ms since epoch, per the verifier's clock; the token fails verification from then on. */
    readonly validUntil: number,
    /**
     * suffixMix of its token; its low bits are its hot slot. The rest tell a
     * token in the same slot apart without reading this one's characters from
     * memory (a new token shares its header and most claims with the token in
     * its slot, so comparing the two strings reads hundreds of characters).
     */
    readonly mix: number,
  ) {}

  /** Its hot slot. */
  get slot(): number {
    return this.mix & (HOT_SLOTS - 1)
  }

  /**
   * The result as a settled promise, made once and frozen: a hit allocates
   * nothing, and no caller can hang a property on what others receive.
   */
  get settled(): Promise<AuthResult> {
    this.#settled ??= Object.freeze(Promise.resolve(this.auth))
    return this.#settled
  }
}

export class TokenCache {
  readonly #entries: LRUCache<number, CachedResult>
  readonly #hot: (CachedResult | undefined)[] = new Array(HOT_SLOTS)

  constructor(max: number) {
    this.#entries = new LRUCache<number, CachedResult>({
      max,
      // The evicted entry is the least recently used, long out of the CPU's caches: its slot is
      // read from the entry itself, not computed again from its token's characters (three more
      // reads from memory; RS256 new tokens, 16 in flight: 0.5 µs of this thread's time per
      // token, measured side by side with the old build in one process).
      dispose: (entry) => {
        if (this.#hot[entry.slot] === entry) this.#hot[entry.slot] = undefined
      },
    })
  }

  /** The cached result for `token`, if it is still valid at `now` and its key still usable. */
  get(token: string, now: number): CachedResult | undefined {
    const mix = suffixMix(token)
    const slot = mix & (HOT_SLOTS - 1)
    let entry = this.#hot[slot]
    if (entry !== undefined && entry.mix === mix && entry.auth.token === token) {
      if (++entry.hits % REFRESH_EVERY === 0) this.#entries.get(keyOf(token))
    } else {
      entry = this.#entries.get(keyOf(token))
      if (entry === undefined || entry.auth.token !== token) return undefined
      this.#hot[slot] = entry
    }
    if (now >= entry.validUntil || now >= entry.key.usableUntil) {
      this.#entries.delete(keyOf(token)) // and, through dispose, from its slot
      return undefined
    }
    return entry
  }

  set(
    token: string,
    auth: AuthResult,
    key: VerificationKey,
    profile: ResolvedProfile,
    validUntil: number,
  ): void {
    const mix = suffixMix(token)
    const entry = new CachedResult(auth, key, profile, validUntil, mix)
    const slot = mix & (HOT_SLOTS - 1)
    this.#entries.set(keyOf(token), entry)
    this.#hot[slot] = entry
  }

  get size(): number {
    return this.#entries.size
  }
}
