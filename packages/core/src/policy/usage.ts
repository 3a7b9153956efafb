/**
 * Least privilege, measured: which scopes each client holds, and which of
 * them a route ever needed. Fed only by verified tokens that met their
 * requirement, bounded by `maxClients` (lru-cache: the client seen longest
 * ago is forgotten first).
 */
import { LRUCache } from 'lru-cache'
import type { AuthResult } from '../types.js'
import type { Requirement } from './requirement.js'

/** The `usage` option: `true`, or the most clients remembered (default 1,000). */
export type UsageOption = boolean | { maxClients?: number | undefined }

/**
 * One client of one issuer, as {@link UsageReport} lists it.
 *
 * @example
 * { issuer: 'https://auth.example.com', clientId: 'reporting', requests: 12,
 *   grantedScopes: ['orders:export', 'orders:read'], usedScopes: ['orders:read'],
 *   unusedScopes: ['orders:export'], lastSeen: 1764583200000 }
 */
export interface ClientUsage {
  /** The verified token's `iss`. */
  issuer: string
  /** The verified client id; `undefined` for tokens that name none. */
  clientId: string | undefined
  /** Verification calls that succeeded, requirement included. */
  requests: number
  /** Every scope its tokens were granted, sorted. */
  grantedScopes: string[]
  /** The granted scopes that satisfied a route's requirement (`scopes`, or the granted ones of `anyScopes`). */
  usedScopes: string[]
  /** Granted but never needed: candidates to remove from the client's grant. */
  unusedScopes: string[]
  /** When it was last accepted, in epoch milliseconds (the verifier's clock). */
  lastSeen: number
}

/**
 * What `verifier.usage()` returns: one row per issuer and client, sorted.
 *
 * @example
 * for (const row of verifier.usage().clients) console.log(row.clientId, 'never needed', row.unusedScopes)
 */
export interface UsageReport {
  /** False when the `usage` option is off: `clients` is then empty. */
  enabled: boolean
  maxClients: number
  clients: ClientUsage[]
}

interface ClientRecord {
  /** Its key in the recorder's LRU. */
  key: string
  issuer: string
  clientId: string | undefined
  requests: number
  granted: Set<string>
  used: Set<string>
  lastSeen: number
  /** Requirements already counted: a route passes the same object every time, so the reused path adds nothing. */
  seen: WeakSet<Requirement>
  /** Still in the LRU: false once forgotten (maxClients), when slots that point here must look it up again. */
  live: boolean
}

/**
 * What the recorder remembers per verified token, where the verifier keeps
 * it for a reused token (its token-cache entry): the client's record and the
 * requirement last counted, so that a cache hit is counted with a few field
 * writes: no lookup by key, no WeakMap, no WeakSet.
 */
export interface UsageSlot {
  /** Opaque outside this module. */
  usageClient: unknown
  usageRequirement: Requirement | undefined
}

/** Returns the most clients to remember, or undefined when off; throws a TypeError naming the option. */
export function resolveUsage(option: unknown): number | undefined {
  if (option === undefined || option === false) return undefined
  if (option === true) return 1_000
  if (typeof option === 'object' && option !== null) {
    for (const key of Object.keys(option)) {
      if (key !== 'maxClients') throw new TypeError(`"usage" option has unknown field "${key}"`)
    }
    const { maxClients } = option as { maxClients?: unknown }
    if (maxClients === undefined) return 1_000
    if (Number.isSafeInteger(maxClients) && (maxClients as number) >= 1) return maxClients as number
    throw new TypeError('"usage.maxClients" option must be a positive integer')
  }
  throw new TypeError('"usage" option must be true, false or { maxClients }')
}

/** Records accepted calls; `report()` is what `verifier.usage()` returns. */
export class UsageRecorder {
  readonly #maxClients: number
  readonly #clients: LRUCache<string, ClientRecord>
  // A reused token is the same AuthResult object (the verified-token cache): its record is found without a key.
  readonly #records = new WeakMap<AuthResult, ClientRecord>()
  // The record used last: the LRU's most recent entry, which a lookup would not move.
  #latest: ClientRecord | undefined

  constructor(maxClients: number) {
    this.#maxClients = maxClients
    this.#clients = new LRUCache({
      max: maxClients,
      dispose: (client) => {
        client.live = false
        if (this.#latest === client) this.#latest = undefined
      },
    })
  }

  /**
   * Counts one accepted call of `auth` that met `requirement`, at `now`.
   * `slot`: the token's {@link UsageSlot}, when it has one (a cached token).
   */
  record(auth: AuthResult, requirement: Requirement | undefined, now: number, slot?: UsageSlot): void {
    const linked = slot?.usageClient as ClientRecord | undefined
    if (linked?.live === true) {
      this.#touch(linked)
      linked.requests++
      linked.lastSeen = now
      if (requirement !== undefined && requirement !== slot?.usageRequirement) {
        this.#use(linked, auth, requirement)
        if (slot !== undefined) slot.usageRequirement = requirement
      }
      return
    }
    const client = this.#recordOf(auth, now)
    client.requests++
    client.lastSeen = now
    if (requirement !== undefined) this.#use(client, auth, requirement)
    if (slot !== undefined) {
      slot.usageClient = client
      slot.usageRequirement = requirement
    }
  }

  /** The record of `auth`'s client, found or made, its scopes granted, moved to the LRU's most recent place. */
  #recordOf(auth: AuthResult, now: number): ClientRecord {
    const known = this.#records.get(auth)
    if (known?.live === true) {
      this.#touch(known)
      return known
    }
    const key = `${auth.issuer}\n${auth.clientId ?? ''}`
    let client = this.#clients.get(key)
    if (client === undefined) {
      client = {
        key,
        issuer: auth.issuer,
        clientId: auth.clientId,
        requests: 0,
        granted: new Set(),
        used: new Set(),
        lastSeen: now,
        seen: new WeakSet(),
        live: true,
      }
      this.#clients.set(key, client)
    }
    this.#latest = client
    for (const scope of auth.scopes) client.granted.add(scope)
    this.#records.set(auth, client)
    return client
  }

  /** Keeps the LRU's recency exact: only a record that is not the most recent one moves. */
  #touch(client: ClientRecord): void {
    if (this.#latest === client) return
    this.#clients.get(client.key)
    this.#latest = client
  }

  #use(client: ClientRecord, auth: AuthResult, requirement: Requirement): void {
    if (client.seen.has(requirement)) return
    for (const scope of requirement.scopes ?? []) client.used.add(scope)
    for (const scope of requirement.anyScopes ?? []) if (auth.scopes.includes(scope)) client.used.add(scope)
    // anyScopes is met by whichever granted scope it names: the next token may hold another one.
    if (requirement.anyScopes === undefined) client.seen.add(requirement)
  }

  report(): UsageReport {
    const clients = [...this.#clients.values()].map(
      (client): ClientUsage => ({
        issuer: client.issuer,
        clientId: client.clientId,
        requests: client.requests,
        grantedScopes: [...client.granted].sort(),
        usedScopes: [...client.used].filter((scope) => client.granted.has(scope)).sort(),
        unusedScopes: [...client.granted].filter((scope) => !client.used.has(scope)).sort(),
        lastSeen: client.lastSeen,
      }),
    )
    clients.sort((a, b) => compare(a.issuer, b.issuer) || compare(a.clientId ?? '', b.clientId ?? ''))
    return { enabled: true, maxClients: this.#maxClients, clients }
  }
}

/** The report of a verifier whose `usage` option is off. */
export function usageOff(): UsageReport {
  return { enabled: false, maxClients: 0, clients: [] }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
