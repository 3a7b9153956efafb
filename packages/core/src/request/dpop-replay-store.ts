/**
 * Remembers the DPoP proofs already used, so that each is accepted once
 * (RFC 9449 §11.1). The verifier asks the store last, after every other
 * check passed: a forged proof never reaches it, so only holders of a valid
 * token and its key can fill it.
 */
import { LRUCache } from 'lru-cache'

/**
 * Where used proof ids are kept. In memory by default; fleets share one
 * (`@m2m-guard/redis` `createRedisReplayStore`).
 *
 * @example
 * const store: ReplayStore = { claim: (id, expiresAt) => redisSetNx(id, expiresAt) }
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAt` (ms since the epoch, exclusive: from then
   * on the proof is too old anywhere, the verifiers' clock tolerance
   * included). True the first time an id is claimed while it is recorded,
   * false for a replay. A throw or a rejection means the store failed: the
   * request is refused with 503.
   */
  claim(id: string, expiresAt: number): Promise<boolean> | boolean
}

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most live ids kept. Size it above the DPoP requests one instance serves
   * within a proof's lifetime (`proofMaxAge` plus clock tolerance). Default 100,000.
   */
  max?: number | undefined
  /** ms since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined
}

/** Thrown by the memory store's `claim` when it holds `max` live ids: the request fails closed (503). */
export class ReplayStoreFullError extends Error {
  override name = 'ReplayStoreFullError'
}

const DEFAULT_MAX = 100_000

/**
 * The default, in-process {@link ReplayStore}: bounded (lru-cache), each id
 * kept until its proof could no longer be accepted anyway. When every slot
 * holds a live id it refuses new ones (throws, so the request gets 503)
 * rather than forget one that a replay could then reuse.
 *
 * @example
 * const verifier = createVerifier({ issuer, audience, dpop: { replayStore: createMemoryReplayStore({ max: 500_000 }) } })
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const max = options.max ?? DEFAULT_MAX
  if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('"max" option must be a positive integer')
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError('"clock" option must be a function')
  }
  const clock = options.clock ?? Date.now
  // id → expiresAt. Never read with get(), so the least recently used entry is the oldest claim.
  const used = new LRUCache<string, number>({ max })

  return {
    claim(id, expiresAt) {
      const now = clock()
      const seen = used.peek(id)
      if (seen !== undefined && seen > now) return false
      if (used.size >= max && seen === undefined) evictExpired(used, now)
      used.set(id, expiresAt)
      return true
    },
  }
}

// Bounded work per claim: the oldest few claims. Mostly the first to expire, not always: a
// proof's expiry follows its iat, which may sit up to the proof's lifetime before its claim,
// so a live entry can precede expired ones; the scan looks past it.
const EVICT_SCAN = 8

function evictExpired(used: LRUCache<string, number>, now: number): void {
  const expired: string[] = []
  let scanned = 0
  for (const id of used.rkeys()) {
    if (scanned++ === EVICT_SCAN) break
    if ((used.peek(id) ?? 0) <= now) expired.push(id)
  }
  for (const id of expired) used.delete(id)
  if (used.size >= used.max) throw new ReplayStoreFullError('replay store is full of live proofs')
}
