/**
 * Runs in its own process (with --expose-gc), so that nothing else lives on
 * its heap: bytes per cached token, the cache's bound, and whether the heap
 * stays flat under a load that churns the cache. Reports over IPC.
 */
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { AUDIENCE, createKey, SCOPE, signTokens } from './fixtures.js'
import { startJwksServer } from './jwks-server.js'

export interface MemoryRequest {
  /** Distinct tokens cached to measure bytes per token (the issue asks for 100,000). */
  tokens: number
  /** How long the churn load runs, and how many heap samples it takes. */
  loadMs: number
  samples: number
  /** Distinct tokens cycled by the churn load: more than the default cache holds, so every request is new. */
  churnTokens: number
}

export interface MemoryResult {
  alg: string
  tokenLength: number
  tokens: number
  /** Heap growth with a cache big enough for every token, per token (includes the token string). */
  bytesPerToken: number
  defaultCacheSize: number
  /** Heap growth after the same number of distinct tokens through the default cache. */
  defaultCacheBytes: number
  /** heapUsed after a full GC, in bytes, at even intervals of the churn load. */
  heapSamples: number[]
  loadRequests: number
  churnTokens: number
}

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('memory-child needs node --expose-gc')

function heapAfterGc(): number {
  ;(gc as () => void)()
  ;(gc as () => void)()
  return process.memoryUsage().heapUsed
}

const requirement = { scopes: [SCOPE] }

/** Verifies `count` new tokens through `verifier`, signing them in batches so the harness retains none. */
async function feed(verifier: Verifier, sign: (count: number) => Promise<string[]>, count: number) {
  for (let done = 0; done < count; ) {
    const batch = await sign(Math.min(1000, count - done))
    await Promise.all(batch.map((token) => verifier.authenticate(`Bearer ${token}`, requirement)))
    done += batch.length
  }
}

async function main(request: MemoryRequest): Promise<MemoryResult> {
  // EdDSA: the cheapest to sign and verify, so 100,000 distinct tokens take seconds, not minutes.
  const key = createKey('EdDSA')
  const server = await startJwksServer({ keys: [key.jwk] })
  const sign = (count: number) => signTokens(key, server.issuer, count)
  const tokenLength = (await sign(1))[0]?.length ?? 0
  const make = (tokenCache?: number) =>
    createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri, tokenCache })

  // Each verifier is dropped after its measurement, so the next starts from a clean heap.
  const measure = async (tokenCache: number | undefined) => {
    const verifier = make(tokenCache)
    await verifier.warmUp()
    const before = heapAfterGc()
    await feed(verifier, sign, request.tokens)
    return heapAfterGc() - before
  }
  const bytesPerToken = (await measure(request.tokens)) / request.tokens
  const defaultCacheSize = 10_000
  const defaultCacheBytes = await measure(undefined)

  // Churn: more distinct tokens than the default cache holds, cycled, 16 in flight: every
  // request is a new token, verified, cached and later evicted.
  const churn = make()
  await churn.warmUp()
  const pool = (await sign(request.churnTokens)).map((token) => `Bearer ${token}`)
  let next = 0
  let loadRequests = 0
  const heapSamples: number[] = []
  const worker = async (deadline: number) => {
    while (Date.now() < deadline) {
      await churn.authenticate(pool[next++ % pool.length], requirement)
      loadRequests++
    }
  }
  const interval = request.loadMs / request.samples
  for (let sample = 0; sample < request.samples; sample++) {
    const deadline = Date.now() + interval
    await Promise.all(Array.from({ length: 16 }, () => worker(deadline)))
    heapSamples.push(heapAfterGc())
  }
  await server.close()
  return {
    alg: key.alg,
    tokenLength,
    tokens: request.tokens,
    bytesPerToken,
    defaultCacheSize,
    defaultCacheBytes,
    heapSamples,
    loadRequests,
    churnTokens: request.churnTokens,
  }
}

process.once('message', (request: MemoryRequest) => {
  main(request).then(
    (result) => process.send?.({ result }, () => process.exit(0)),
    (error: Error) => process.send?.({ error: error.stack ?? error.message }, () => process.exit(1)),
  )
})
