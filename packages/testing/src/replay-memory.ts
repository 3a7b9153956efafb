/**
 * Ids seen before their expiry, for one-time credentials (DPoP proofs). Bounded: expired ids
 * leave first, and under a flood of distinct ids the oldest go, so memory stays flat.
 *
 * @example
 * ```ts
 * const seen = new ReplayMemory(10_000)
 * seen.claim('jti-1', expiresAt, now) // true
 * seen.claim('jti-1', expiresAt, now) // false: a replay
 * ```
 */
export class ReplayMemory {
  readonly #expiries = new Map<string, number>()

  constructor(readonly capacity: number) {}

  /** True the first time `id` is claimed while unexpired, false for a replay. Times in seconds or ms, consistently. */
  claim(id: string, expiresAt: number, now: number): boolean {
    // Entries are in insertion order, which is nearly expiry order: stop at the first live one.
    for (const [key, expiry] of this.#expiries) {
      if (expiry >= now) break
      this.#expiries.delete(key)
    }
    const known = this.#expiries.get(id)
    if (known !== undefined && known >= now) return false
    this.#expiries.set(id, expiresAt)
    if (this.#expiries.size > this.capacity) {
      const oldest = this.#expiries.keys().next().value
      if (oldest !== undefined) this.#expiries.delete(oldest)
    }
    return true
  }
}
