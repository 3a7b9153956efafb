/**
 * Runs in its own process: how long verification work blocks the event loop.
 * A driver plays a server: each macrotask (setImmediate) starts one request,
 * up to `inFlight` outstanding, for a new token each time. monitorEventLoopDelay
 * records how late its timer fires meanwhile. The same driver around a bare
 * node:crypto signature check gives the yardstick: one signature check; around
 * the bare check on the thread pool, the least an off-thread check can hold it.
 */
import { verify } from 'node:crypto'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createVerifier } from '@m2m-guard/core'
import { type Alg, AUDIENCE, createKey, cryptoParams, SCOPE, signTokens } from './fixtures.js'
import { startJwksServer } from './jwks-server.js'

export interface EventLoopRequest {
  algorithms: Alg[]
  durationMs: number
  poolSize: number
}

export interface DelaySummary {
  /** Longest and 99th-percentile time between two turns of the driver (ms): how long the loop was held. */
  blockMax: number
  blockP99: number
  /** monitorEventLoopDelay's view (ms late, its 1 ms interval taken off): max and p99. */
  timerMax: number
  timerP99: number
  requests: number
  /** Sum of the times between turns (ms), and the number of turns: what the loop did in all. */
  heldTotal: number
  turns: number
}

/**
 * Time the loop was held per request (ms), the driver's own turns taken off
 * (each costs what an idle turn costs): a turn may finish several requests
 * whose checks came back from the thread pool together, so the p99 of a turn
 * can hold more than one request's work.
 */
export function heldPerRequest(delay: DelaySummary, idle: DelaySummary): number {
  const idleTurn = idle.heldTotal / Math.max(1, idle.turns)
  return (delay.heldTotal - delay.turns * idleTurn) / Math.max(1, delay.requests)
}

export interface EventLoopResult {
  alg: Alg
  /** Median time of one bare signature check, ms. */
  signatureMs: number
  idle: DelaySummary
  signatureOnly: DelaySummary
  oursSequential: DelaySummary
  oursInFlight16: DelaySummary
  /** The bare check on libuv's thread pool (callback), 16 in flight: the least any off-thread check holds the loop. */
  poolCheckInFlight16: DelaySummary
}

type Start = (i: number) => unknown

const RESOLUTION_MS = 1

async function drive(start: Start, durationMs: number, inFlight: number): Promise<DelaySummary> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  const gaps: number[] = []
  let outstanding = 0
  let requests = 0
  let i = 0
  histogram.enable()
  const deadline = performance.now() + durationMs
  let last = performance.now()
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      // Everything that ran since the last turn (a request's synchronous work and its microtasks) held the loop.
      gaps.push(now - last)
      last = now
      if (now >= deadline) {
        if (outstanding === 0) resolve()
        else setImmediate(tick)
        return
      }
      if (outstanding < inFlight) {
        outstanding++
        Promise.resolve(start(i++)).then(() => {
          outstanding--
          requests++
        })
      }
      setImmediate(tick)
    }
    setImmediate(tick)
  })
  histogram.disable()
  gaps.sort((a, b) => a - b)
  const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS)
  return {
    blockMax: gaps.at(-1) ?? 0,
    blockP99: gaps[Math.floor(gaps.length * 0.99)] ?? 0,
    timerMax: late(histogram.max),
    timerP99: late(histogram.percentile(99)),
    requests,
    heldTotal: gaps.reduce((sum, gap) => sum + gap, 0),
    turns: gaps.length,
  }
}

async function main(request: EventLoopRequest): Promise<EventLoopResult[]> {
  const results: EventLoopResult[] = []
  for (const alg of request.algorithms) {
    const key = createKey(alg)
    const server = await startJwksServer({ keys: [key.jwk] })
    const headers = (await signTokens(key, server.issuer, request.poolSize)).map((token) => `Bearer ${token}`)
    const { hash, dsaEncoding } = cryptoParams(alg)
    const keyArg = dsaEncoding ? { key: key.publicKey, dsaEncoding } : key.publicKey
    const parts = headers.map((header) => {
      const dot = header.lastIndexOf('.')
      return {
        data: Buffer.from(header.slice(7, dot)),
        signature: Buffer.from(header.slice(dot + 1), 'base64url'),
      }
    })
    const signatureCheck: Start = (i) => {
      const part = parts[i % parts.length] as (typeof parts)[number]
      return verify(hash, part.data, keyArg, part.signature)
    }
    const poolCheck: Start = (i) => {
      const part = parts[i % parts.length] as (typeof parts)[number]
      return new Promise<void>((resolve, reject) =>
        verify(hash, part.data, keyArg, part.signature, (error, valid) =>
          error || !valid ? reject(error ?? new Error('signature did not verify')) : resolve(),
        ),
      )
    }
    const times: number[] = []
    for (let k = 0; k < 200; k++) {
      const started = performance.now()
      signatureCheck(k)
      times.push(performance.now() - started)
    }
    times.sort((a, b) => a - b)
    // A cache smaller than the pool: every request carries a token the verifier has not seen.
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      tokenCache: Math.max(1, request.poolSize >> 1),
    })
    await verifier.warmUp()
    const requirement = { scopes: [SCOPE] }
    const ours: Start = (i) => verifier.authenticate(headers[(i + 16) % headers.length], requirement)
    for (let k = -16; k < 0; k++) await ours(k)
    results.push({
      alg,
      signatureMs: times[times.length >> 1] as number,
      idle: await drive(() => undefined, request.durationMs, 1),
      signatureOnly: await drive(signatureCheck, request.durationMs, 1),
      oursSequential: await drive(ours, request.durationMs, 1),
      oursInFlight16: await drive(ours, request.durationMs, 16),
      poolCheckInFlight16: await drive(poolCheck, request.durationMs, 16),
    })
    await server.close()
  }
  return results
}

process.once('message', (request: EventLoopRequest) => {
  main(request).then(
    (result) => process.send?.({ result }, () => process.exit(0)),
    (error: Error) => process.send?.({ error: error.stack ?? error.message }, () => process.exit(1)),
  )
})
