/**
 * Issue 14's rule that what other issues add on the request path (issuer
 * selection, DPoP, usage, metrics) keeps the figures, and issue 11's DPoP
 * bench row: in process, each feature's row against the plain reused-token
 * path (and DPoP against one bare ES256 check, per replay store); over HTTP,
 * m2m-guard with `usage: true` and with metrics against the bare framework.
 */
import type { Measurements, Verdict } from './goals.js'
import { type Framework, VARIANTS, variantLabel } from './http-variants.js'
import type { Cell } from './in-process.js'
import { formatAddedNanoseconds, formatNumber, formatRatio } from './measure.js'
import {
  cellAddedNs,
  cellRatio,
  cpus,
  findCell,
  findHttp,
  p99s,
  pairedDifference,
  pairedRatio,
  rps,
} from './ratios.js'

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

export function requestPath(cells: Cell[]): Verdict[] {
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

/** Issue 14's HTTP figure for the reused token, kept with each feature on. */
export function httpWithFeatures(cells: NonNullable<Measurements['http']>): Verdict[] {
  const parts: string[] = []
  let met = true
  for (const framework of Object.keys(VARIANTS) as Framework[]) {
    const bare = findHttp(cells, framework, 'bare', 'reused-token')
    const plain = findHttp(cells, framework, 'm2m-guard', 'reused-token')
    if (bare === undefined) continue
    for (const variant of ['m2m-guard-usage', 'm2m-guard-otel']) {
      const cell = findHttp(cells, framework, variant, 'reused-token')
      if (cell === undefined) continue
      const throughput = pairedRatio(rps(cell.samples), rps(bare.samples))
      const latency = pairedRatio(p99s(cell.samples), p99s(bare.samples))
      if (!(throughput >= 0.95 && latency <= 1.1)) met = false
      const cpuAdded = plain ? pairedDifference(cpus(cell.samples), cpus(plain.samples)) : Number.NaN
      parts.push(
        `${framework}, ${variantLabel(variant).replace('m2m-guard, ', '')}: ${formatRatio(throughput)} req/s, p99 ${formatRatio(latency)}` +
          (plain
            ? ` (÷ plain m2m-guard ${formatRatio(pairedRatio(rps(cell.samples), rps(plain.samples)))} req/s; server CPU ${cpuAdded >= 0 ? '+' : '−'}${Math.abs(cpuAdded).toFixed(1)} µs per request)`
            : ''),
      )
    }
  }
  return [
    {
      goal: 'HTTP, reused token, with usage / with metrics: ≥ 0.95× bare req/s, p99 ≤ 1.1× bare (Express, Koa, Fastify)',
      met: parts.length > 0 && met,
      detail: `÷ bare, same repeat: ${parts.join('; ')}`,
    },
  ]
}
