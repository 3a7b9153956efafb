/**
 * What the adapters' Workers tests need (fetch, Hono): a verifier of the local
 * authorization server whose keys the test makes stale by its clock, whose
 * JWKS fetches the test holds until it releases them, and a stand-in for a
 * Worker's ExecutionContext that records what it is handed.
 */
import { createVerifier, type Verifier } from '@m2m-guard/core'
import type { AuthServer } from '@m2m-guard/testing'
import { AUDIENCE } from './counting-verifier.js'

/** JWKS fetches kept waiting, before they reach the server, until {@link JwksGate.release}. */
export interface JwksGate {
  /** Resolves once a fetch is waiting. */
  readonly arrived: Promise<void>
  /** Lets the waiting fetches (and later ones) through. */
  release(): void
}

export interface StaleKeys {
  verifier: Verifier
  /** Moves the verifier's clock to the end of the keys' freshness (the server's max-age). */
  makeStale(): void
  /** Holds the JWKS fetches from now on. */
  hold(): JwksGate
}

/**
 * A verifier of `server`, its keys fetched once; then stale whenever the test says.
 *
 * @example
 * const { verifier, makeStale, hold } = await staleKeys(server)
 * makeStale(); const gate = hold()
 * await verifier.verify(token) // answers from the stale keys; the refresh waits at the gate
 */
export async function staleKeys(server: AuthServer): Promise<StaleKeys> {
  let now = Date.now()
  let gate: Promise<void> | undefined
  let arrive: () => void = () => {}
  const gated: typeof fetch = async (input, init) => {
    if (gate !== undefined) {
      arrive()
      await gate
    }
    return fetch(input, init)
  }
  const verifier = createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    clock: () => now,
    fetch: gated,
  })
  await verifier.warmUp()
  return {
    verifier,
    makeStale() {
      now = Math.max(now, verifier.keyStatus().freshUntil ?? now)
    },
    hold() {
      let release: () => void = () => {}
      gate = new Promise((resolve) => {
        release = resolve
      })
      const arrived = new Promise<void>((resolve) => {
        arrive = resolve
      })
      return {
        arrived,
        release() {
          gate = undefined
          release()
        },
      }
    },
  }
}

/** A Worker's ExecutionContext, as far as waitUntil goes; `handed` is what it was given. */
export function executionContext(): {
  ctx: { waitUntil(promise: Promise<unknown>): void }
  handed: unknown[]
} {
  const handed: unknown[] = []
  return {
    handed,
    ctx: {
      waitUntil(promise) {
        handed.push(promise)
      },
    },
  }
}

/** Contexts that are not a Worker's, or are hostile: none may change the answer. */
export const oddContexts: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['a string', 'ctx'],
  ['an object without waitUntil', { passThroughOnException() {} }],
  ['waitUntil that is not a function', { waitUntil: 'soon' }],
  [
    'waitUntil that throws',
    {
      waitUntil() {
        throw new Error('waitUntil exploded')
      },
    },
  ],
  [
    'a waitUntil getter that throws',
    {
      get waitUntil() {
        throw new Error('getter exploded')
      },
    },
  ],
  [
    'a revoked proxy',
    (() => {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      return proxy
    })(),
  ],
]
