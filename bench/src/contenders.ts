/**
 * What the in-process suite times: the floors (a bare signature check, a bare
 * Map lookup), m2m-guard with its token cache on and off, and the peers
 * (peers.ts, peer-middleware.ts). Every contender checks the same things:
 * signature, `iss`, `aud`, `exp`, and the `orders:read` scope.
 */
import { verify as cryptoVerify } from 'node:crypto'
import { createVerifier } from '@m2m-guard/core'
import type { ReplayRedis } from './dpop-rows.js'
import { type Alg, AUDIENCE, type BenchKey, CLIENT_ID, cryptoParams, SCOPE } from './fixtures.js'
import type { Op } from './measure.js'

/** A workload: the tokens a contender is handed, in order, cycled. */
export interface Workload {
  name: 'same-token' | 'distinct-tokens'
  tokens: string[]
  /** `Bearer <token>` for each token: what an Authorization header carries. */
  headers: string[]
}

export interface Setup {
  alg: Alg
  key: BenchKey
  issuer: string
  jwksUri: string
  workload: Workload
  /** The suite's redis-server for the Redis replay-store row, or why there is none. */
  redis?: ReplayRedis | undefined
}

export interface Contender {
  id: string
  label: string
  kind: 'floor' | 'ours' | 'peer'
  /** Why this contender does not apply to `setup`, if it does not. */
  notApplicable?(setup: Setup): string | undefined
  /** Builds the verifier and returns the timed operation. */
  prepare(setup: Setup): Promise<Op>
  /** Checked on the warm-up results only: throws if an operation's result is wrong. */
  validate?(result: unknown): void
}

/** Throws unless a verified payload grants the scope every contender requires. */
export function requireScope(payload: unknown): void {
  const scope = (payload as { scope?: unknown } | undefined)?.scope
  if (typeof scope !== 'string' || !scope.split(' ').includes(SCOPE)) throw new Error('scope missing')
}

/** Tokens per workload for the distinct-token pool; ours gets a token cache half that size, so every lookup misses. */
export const cacheMissSize = (setup: Setup) => Math.max(1, Math.floor(setup.workload.tokens.length / 2))

const cryptoFloor = (mode: 'sync' | 'thread-pool'): Contender => ({
  id: mode === 'sync' ? 'floor-crypto' : 'floor-crypto-pool',
  label:
    mode === 'sync'
      ? 'floor: node:crypto verify (KeyObject)'
      : 'floor: node:crypto verify on the thread pool (callback)',
  kind: 'floor',
  async prepare({ key, workload }) {
    const { hash, dsaEncoding } = cryptoParams(key.alg)
    const keyArg = dsaEncoding ? { key: key.publicKey, dsaEncoding } : key.publicKey
    // The floor is the signature alone: the signing input and signature are decoded up front.
    const parts = workload.tokens.map((token) => {
      const dot = token.lastIndexOf('.')
      return {
        data: Buffer.from(token.slice(0, dot)),
        signature: Buffer.from(token.slice(dot + 1), 'base64url'),
      }
    })
    const n = parts.length
    if (mode === 'sync') {
      return (i) => {
        const { data, signature } = parts[i % n] as (typeof parts)[number]
        if (!cryptoVerify(hash, data, keyArg, signature)) throw new Error('signature invalid')
      }
    }
    return (i) => {
      const { data, signature } = parts[i % n] as (typeof parts)[number]
      return new Promise<void>((resolve, reject) =>
        cryptoVerify(hash, data, keyArg, signature, (error, ok) =>
          error || !ok ? reject(error ?? new Error('signature invalid')) : resolve(),
        ),
      )
    }
  },
})

interface CachedClaims {
  exp: number
  scopes: string[]
  clientId: string
}

/** A Map of already verified tokens: the least any token cache can cost. */
const mapFloor = (input: 'header' | 'token'): Contender => ({
  id: input === 'header' ? 'floor-map' : 'floor-map-token',
  label:
    input === 'header'
      ? 'floor: Map lookup + claim checks (token sliced from the header)'
      : 'floor: Map lookup + claim checks (token string reused, hash cached)',
  kind: 'floor',
  notApplicable: ({ workload }) =>
    workload.name === 'same-token' ? undefined : 'a cache floor: applies to reused tokens',
  async prepare({ workload }) {
    const map = new Map<string, CachedClaims>()
    for (const token of workload.tokens) {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
      map.set(token, { exp: payload.exp, scopes: payload.scope.split(' '), clientId: payload.client_id })
    }
    const check = (entry: CachedClaims | undefined) => {
      if (entry === undefined || entry.exp * 1000 <= Date.now() || !entry.scopes.includes(SCOPE)) {
        throw new Error('rejected')
      }
      return entry
    }
    const { headers, tokens } = workload
    const n = tokens.length
    if (input === 'token') return (i) => check(map.get(tokens[i % n] as string))
    return (i) => {
      const header = headers[i % n] as string
      if (!header.startsWith('Bearer ')) throw new Error('no bearer token')
      return check(map.get(header.slice(7)))
    }
  },
})

type OursMode = 'cache' | 'no-cache'

const OURS_LABELS: Record<OursMode, [id: string, label: string]> = {
  cache: ['ours', 'm2m-guard authenticate() (token cache on)'],
  'no-cache': ['ours-no-cache', 'm2m-guard authenticate() (token cache off)'],
}

const ours = (mode: OursMode): Contender => ({
  id: OURS_LABELS[mode][0],
  label: OURS_LABELS[mode][1],
  kind: 'ours',
  async prepare(setup) {
    const { workload } = setup
    const cache = mode !== 'no-cache'
    const verifier = createVerifier({
      issuer: setup.issuer,
      audience: AUDIENCE,
      jwksUri: setup.jwksUri,
      // Reused tokens: the default cache. Distinct tokens: a cache smaller than the pool, so each one is new.
      tokenCache: !cache ? false : workload.name === 'same-token' ? undefined : cacheMissSize(setup),
    })
    await verifier.warmUp()
    const requirement = { scopes: [SCOPE] }
    const { headers } = workload
    const n = headers.length
    return (i) => verifier.authenticate(headers[i % n], requirement)
  },
  validate: requireClient,
})

/** Throws unless a result is m2m-guard's for the bench's client. */
export function requireClient(result: unknown): void {
  if ((result as { clientId?: unknown }).clientId !== CLIENT_ID) throw new Error('wrong client')
}

export const floors: Contender[] = [
  cryptoFloor('sync'),
  cryptoFloor('thread-pool'),
  mapFloor('header'),
  mapFloor('token'),
]
export const oursContenders: Contender[] = [ours('cache'), ours('no-cache')]
