/**
 * The goals of issue 14 (the second core for new tokens, near-zero overhead
 * per request), each judged from this run's measurements: met, not met, or
 * not measured (its suite did not run). goals.ts keeps issue 6's.
 */
import { type EventLoopResult, heldPerRequest } from './event-loop-child.js'
import type { Measurements, Verdict } from './goals.js'
import { type Framework, VARIANTS } from './http-server.js'
import type { Cell } from './in-process.js'
import { formatAddedNanoseconds, formatNumber, formatRatio } from './measure.js'
import { cellAddedNs, cellRatio, fastestPeer, findCell, findHttp, p99s, pairedRatio, rps } from './ratios.js'

const NEW_TOKEN_ALGS = ['RS256', 'ES256']

function oursNewTokens(cells: Cell[], inFlight: number): Cell[] {
  return cells.filter(
    (cell) =>
      cell.workload === 'distinct-tokens' &&
      cell.contender.id === 'ours' &&
      cell.inFlight === inFlight &&
      NEW_TOKEN_ALGS.includes(cell.alg),
  )
}

function newTokens(cells: Cell[]): Verdict[] {
  const overlapping = oursNewTokens(cells, 16).map((ours) => ({
    alg: ours.alg,
    ratio: cellRatio(cells, ours, 'floor-crypto'),
  }))
  const sequential = oursNewTokens(cells, 1).map((ours) => {
    const peer = fastestPeer(cells, ours.alg, ours.workload, 1)
    const ratio =
      peer?.result && ours.result ? pairedRatio(ours.result.samples, peer.result.samples) : Number.NaN
    return { alg: ours.alg, ratio, peer: peer?.contender.id ?? 'none' }
  })
  return [
    {
      goal: 'New tokens, 16 in flight, in process: ≥ 1.2× one core’s bare node:crypto signature check (RS256, ES256)',
      met: overlapping.length > 0 && overlapping.every(({ ratio }) => ratio >= 1.2),
      detail: `m2m-guard (default token cache, every token new to it) ÷ "floor: node:crypto verify (KeyObject)": ${overlapping
        .map(({ alg, ratio }) => `${alg}: ${formatRatio(ratio)}`)
        .join(', ')}`,
    },
    {
      goal: 'New tokens, one at a time, in process: ≥ 1.0× the fastest peer (RS256, ES256)',
      met: sequential.length > 0 && sequential.every(({ ratio }) => ratio >= 1),
      detail: sequential.map(({ alg, ratio, peer }) => `${alg}: ${formatRatio(ratio)} ${peer}`).join(', '),
    },
  ]
}

function eventLoop(results: EventLoopResult[]): Verdict {
  const parts = results.map((result) => {
    const perRequest = heldPerRequest(result.oursInFlight16, result.idle)
    const bare = heldPerRequest(result.signatureOnly, result.idle)
    return {
      alg: result.alg,
      ratio: perRequest / bare,
      perRequest,
      bare,
      p99: result.oursInFlight16.blockP99 / result.signatureOnly.blockP99,
    }
  })
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`
  return {
    goal: 'Event loop, verifications overlapping (16 in flight): a new token holds it < ½ of one bare signature check',
    met: parts.length > 0 && parts.every(({ ratio }) => ratio < 0.5),
    detail: `loop held per new token (all turns' time over requests, idle turns taken off) vs per bare check: ${parts
      .map(
        ({ alg, ratio, perRequest, bare, p99 }) =>
          `${alg}: ${us(perRequest)} vs ${us(bare)} (${formatRatio(ratio)}; the p99 turn: ${formatRatio(p99)} the bare check's)`,
      )
      .join('; ')}`,
  }
}

function http(cells: NonNullable<Measurements['http']>): Verdict[] {
  const distinct: string[] = []
  const reused: string[] = []
  let distinctMet = true
  let reusedMet = true
  for (const framework of Object.keys(VARIANTS) as Framework[]) {
    const bare = findHttp(cells, framework, 'bare', 'reused-token')
    const ours = findHttp(cells, framework, 'm2m-guard', 'reused-token')
    if (bare && ours) {
      const throughput = pairedRatio(rps(ours.samples), rps(bare.samples))
      const latency = pairedRatio(p99s(ours.samples), p99s(bare.samples))
      if (!(throughput >= 0.95 && latency <= 1.1)) reusedMet = false
      reused.push(`${framework}: ${formatRatio(throughput)} req/s, p99 ${formatRatio(latency)}`)
    }
    const oursDistinct = findHttp(cells, framework, 'm2m-guard', 'distinct-tokens')
    const peers = VARIANTS[framework].filter((name) => name !== 'bare' && name !== 'm2m-guard')
    const ratios = peers.flatMap((variant) => {
      const peer = findHttp(cells, framework, variant, 'distinct-tokens')
      return oursDistinct && peer
        ? [{ variant, ratio: pairedRatio(rps(oursDistinct.samples), rps(peer.samples)) }]
        : []
    })
    if (ratios.length === 0) continue
    // The best peer is the one m2m-guard leads by the least.
    const best = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a))
    if (!(best.ratio >= 1.5)) distinctMet = false
    distinct.push(`${framework}: ${formatRatio(best.ratio)} ${best.variant}`)
  }
  return [
    {
      goal: 'HTTP, 10,000 distinct tokens: ≥ 1.5× the best peer middleware on each framework',
      met: distinct.length > 0 && distinctMet,
      detail: `m2m-guard ÷ best peer, req/s: ${distinct.join('; ')}`,
    },
    {
      goal: 'HTTP, reused token: ≥ 0.95× bare req/s and p99 ≤ 1.1× bare (Express, Koa, Fastify)',
      met: reused.length > 0 && reusedMet,
      detail: `m2m-guard ÷ bare, same repeat: ${reused.join('; ')}`,
    },
  ]
}

/** What each request-path row keeps of the plain path, per algorithm and in-flight count. */
const FEATURES: [id: string, name: string, workloads: string[]][] = [
  ['ours-issuers', 'issuer selection (5 profiles)', ['same-token', 'distinct-tokens']],
]

/** Rows that report what a feature adds to a reused-token check; issue 14 judges them over HTTP. */
const INFORMATIONAL: [id: string, name: string][] = [
  ['ours-usage', 'usage: true'],
  ['ours-otel', 'OpenTelemetry metrics (@m2m-guard/otel on the SDK, with a reader)'],
]

const groupName = (cell: Cell) =>
  `${cell.alg}/${cell.workload === 'same-token' ? 'reused' : 'new'}/${cell.inFlight}`

function requestPath(cells: Cell[]): Verdict[] {
  const verdicts: Verdict[] = FEATURES.map(([id, name, workloads]) => {
    const rows = cells.filter((cell) => cell.contender.id === id && workloads.includes(cell.workload))
    const ratios = rows.map((cell) => ({ cell, ratio: cellRatio(cells, cell, 'ours') }))
    return {
      goal: `Request path: ${name} keeps ≥ 0.9× the plain path’s ops/s`,
      met: ratios.length > 0 && ratios.every(({ ratio }) => ratio >= 0.9),
      detail: ratios.map(({ cell, ratio }) => `${groupName(cell)}: ${formatRatio(ratio)}`).join(', '),
    }
  })
  for (const [id, name] of INFORMATIONAL) {
    const rows = cells.filter((cell) => cell.contender.id === id && cell.result !== undefined)
    verdicts.push({
      goal: `Request path, in process: what ${name} adds to a reused-token check (informational: judged over HTTP below)`,
      met: rows.length > 0 ? true : undefined,
      informational: true,
      detail: `÷ the plain cache hit, and the time it adds per request: ${rows
        .map(
          (cell) =>
            `${groupName(cell)}: ${formatRatio(cellRatio(cells, cell, 'ours'))}, ${formatAddedNanoseconds(cellAddedNs(cells, cell, 'ours'))}`,
        )
        .join('; ')}`,
    })
  }
  // A proof is one more signature per request: judged against one bare ES256 check, not the cache hit.
  const dpop = [1, 16].map((inFlight) => {
    const cell = findCell(cells, 'ES256', 'same-token', inFlight, 'ours-dpop')
    return {
      inFlight,
      vsCheck: cellRatio(cells, cell, 'floor-crypto'),
      vsPlain: cellRatio(cells, cell, 'ours'),
    }
  })
  verdicts.push({
    goal: 'Request path: DPoP (one ES256 proof per request, replay store stubbed) ≥ 0.8× one bare ES256 signature check’s ops/s',
    met: dpop.every(({ vsCheck }) => vsCheck >= 0.8),
    detail: dpop
      .map(
        ({ inFlight, vsCheck, vsPlain }) =>
          `${inFlight} in flight: ${formatRatio(vsCheck)} the bare check, ${formatRatio(vsPlain)} the plain reused-token path`,
      )
      .join('; '),
  })
  verdicts.push(replayStores(cells))
  return verdicts
}

/**
 * Redis's cost is bounded when, with 16 in flight (a server's steady state,
 * where round trips overlap), a DPoP request keeps at least half the memory
 * store's throughput, and one at a time (one round trip to a local
 * redis-server per request) it adds at most half a millisecond.
 */
const REDIS_THROUGHPUT_BOUND = 0.5
const REDIS_SEQUENTIAL_NS_BOUND = 500_000

/** Issue 11's bench row: DPoP's cost per request with each replay store, against plain Bearer and one bare check. */
function replayStores(cells: Cell[]): Verdict {
  const goal =
    'Issue 11: DPoP’s added cost per request (proof verification) and the Redis replay store’s, against a plain Bearer request; Redis’s cost bounded: ≥ 0.5× the memory store’s ops/s with 16 in flight, ≤ 0.5 ms added per request one at a time'
  const row = (inFlight: number, id: string) => findCell(cells, 'ES256', 'same-token', inFlight, id)
  const describe = (name: string, cell: Cell | undefined) =>
    cell?.result === undefined
      ? `${name}: not measured (${cell?.notApplicable ?? 'not run'})`
      : `${name} ${formatNumber(cell.result.median)}/s = ${formatRatio(cellRatio(cells, cell, 'ours'))} plain Bearer (${formatAddedNanoseconds(cellAddedNs(cells, cell, 'ours'))} per request), ${formatRatio(cellRatio(cells, cell, 'floor-crypto'))} one bare ES256 check`
  let met: boolean | undefined = true
  const parts = [1, 16].map((inFlight) => {
    const memory = row(inFlight, 'ours-dpop-memory')
    const redis = row(inFlight, 'ours-dpop-redis')
    const stores = `${describe('memory store', memory)}; ${describe('Redis store', redis)}`
    // Without redis-server (or its row) there is nothing to judge: said so, never a number made up.
    if (memory?.result === undefined || redis?.result === undefined) {
      met = undefined
      return `${inFlight} in flight: ${stores}`
    }
    const redisVsMemory = cellRatio(cells, redis, 'ours-dpop-memory')
    const redisAdds = cellAddedNs(cells, redis, 'ours-dpop-memory')
    if (inFlight === 16 && !(redisVsMemory >= REDIS_THROUGHPUT_BOUND) && met) met = false
    if (inFlight === 1 && !(redisAdds <= REDIS_SEQUENTIAL_NS_BOUND) && met) met = false
    return `${inFlight} in flight: ${stores}; Redis ÷ memory store ${formatRatio(redisVsMemory)} (${formatAddedNanoseconds(redisAdds)} per request)`
  })
  return { goal, met, detail: `ES256 proof on a reused token: ${parts.join('. ')}` }
}

export function judgeIssue14(measurements: Measurements): Verdict[] {
  const notMeasured = (goal: string): Verdict => ({ goal, met: undefined, detail: 'suite not run' })
  const { inProcess, http: httpCells, eventLoop: loop } = measurements
  return [
    ...(inProcess ? newTokens(inProcess) : [notMeasured('New tokens, in process')]),
    loop ? eventLoop(loop) : notMeasured('Event loop'),
    ...(httpCells ? http(httpCells) : [notMeasured('HTTP')]),
    ...(inProcess ? requestPath(inProcess) : [notMeasured('Request path')]),
  ]
}
