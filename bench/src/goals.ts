/**
 * The goals of issue 6, each judged from the measurements of this run:
 * met, not met (and why), or not measured (its suite did not run).
 */
import type { EventLoopResult } from './event-loop-child.js'
import type { HttpCell } from './http.js'
import type { Framework } from './http-variants.js'
import { isPeer, OURS_10K_CACHED, OURS_NEW_TOKENS, VARIANTS } from './http-variants.js'
import type { Cell } from './in-process.js'
import { formatNumber, formatRatio } from './measure.js'
import type { MemoryResult } from './memory-child.js'
import { cellRatio, cpus, fastestPeer, findCell, findHttp, p99s, pairedRatio, rps } from './ratios.js'
import type { WebCell } from './web.js'

export interface Verdict {
  goal: string
  met: boolean | undefined
  detail: string
  /** A row that reports a cost without a goal of its own (its goal is judged elsewhere). */
  informational?: boolean
}

/** How a verdict reads in the table and the log. */
export function verdictMark(verdict: Verdict): string {
  if (verdict.informational && verdict.met !== undefined) return 'informational'
  return verdict.met === undefined ? 'not measured' : verdict.met ? 'met' : 'not met'
}

export interface Measurements {
  inProcess?: Cell[]
  http?: HttpCell[]
  memory?: MemoryResult
  eventLoop?: EventLoopResult[]
  web?: WebCell[]
}

const MB = 1024 * 1024

function reusedInProcess(cells: Cell[]): Verdict[] {
  const ours = cells.filter((cell) => cell.workload === 'same-token' && cell.contender.id === 'ours')
  const vsFastJwt = ours.map((cell) => ({ cell, ratio: cellRatio(cells, cell, 'fast-jwt-cache') }))
  const vsFloor = ours.map((cell) => ({ cell, ratio: 1 / cellRatio(cells, cell, 'floor-map') }))
  const vsTokenFloor = ours.map((cell) => ({ cell, ratio: 1 / cellRatio(cells, cell, 'floor-map-token') }))
  const list = (entries: { cell: Cell; ratio: number }[]) =>
    entries.map(({ cell, ratio }) => `${cell.alg}/${cell.inFlight}: ${formatRatio(ratio)}`).join(', ')
  const worstFastJwt = Math.min(...vsFastJwt.map((entry) => entry.ratio))
  const worstFloor = Math.max(...vsFloor.map((entry) => entry.ratio))
  const worstTokenFloor = Math.max(...vsTokenFloor.map((entry) => entry.ratio))
  return [
    {
      goal: 'Reused token, in process: ≥ 3× fast-jwt’s cached path',
      met: vsFastJwt.length > 0 && worstFastJwt >= 3,
      detail: `m2m-guard ÷ fast-jwt (cache), per alg/in-flight: ${list(vsFastJwt)}`,
    },
    {
      goal: 'Reused token, in process: within 5× of a bare Map lookup plus claim checks',
      met: vsTokenFloor.length > 0 && worstTokenFloor <= 5,
      detail:
        `time per hit relative to a Map lookup handed the token string itself (its hash already cached, the strictest floor): ${list(vsTokenFloor)} (worst ${formatRatio(worstTokenFloor)}); ` +
        `relative to a Map floor given the same Authorization header, which must hash the whole token: worst ${formatRatio(worstFloor)} (m2m-guard's cache keys on the token's last characters)`,
    },
  ]
}

function newTokensInProcess(cells: Cell[]): Verdict {
  const parts: string[] = []
  let met = true
  for (const ours of cells.filter(
    (cell) => cell.workload === 'distinct-tokens' && cell.contender.id === 'ours',
  )) {
    const peer = fastestPeer(cells, ours.alg, ours.workload, ours.inFlight)
    const ratio =
      peer?.result && ours.result ? pairedRatio(ours.result.samples, peer.result.samples) : Number.NaN
    if (!(ratio >= 1)) met = false
    const floor = cellRatio(cells, ours, 'floor-crypto')
    const noCache = findCell(cells, ours.alg, ours.workload, ours.inFlight, 'ours-no-cache')
    const withoutCache =
      noCache?.result && peer?.result ? pairedRatio(noCache.result.samples, peer.result.samples) : Number.NaN
    parts.push(
      `${ours.alg}/${ours.inFlight} in flight: ${formatRatio(ratio)} the fastest peer (${peer?.contender.id ?? 'none'}) ` +
        `(${formatRatio(withoutCache)} with the token cache off), ${formatRatio(floor)} the node:crypto floor`,
    )
  }
  return {
    goal: 'New tokens, in process: ≥ the fastest peer per algorithm, sequentially and 16 in flight',
    met: parts.length > 0 && met,
    detail:
      `m2m-guard with its default token cache, every token new to it (its cache, half the pool, keeps evicting): ${parts.join('; ')}. ` +
      'Remembering each new token (the LRU insert and eviction, and the entries outliving the young generation) is work the peers, which keep nothing, do not do.',
  }
}

function httpGoals(cells: HttpCell[]): Verdict[] {
  const reused: string[] = []
  const distinct: string[] = []
  let reusedMet = true
  let distinctMet = true
  for (const framework of Object.keys(VARIANTS) as Framework[]) {
    const bare = findHttp(cells, framework, 'bare', 'reused-token')
    const ours = findHttp(cells, framework, 'm2m-guard', 'reused-token')
    if (bare === undefined || ours === undefined) continue
    const throughput = pairedRatio(rps(ours.samples), rps(bare.samples))
    const latency = pairedRatio(p99s(ours.samples), p99s(bare.samples))
    const cpu = pairedRatio(cpus(ours.samples), cpus(bare.samples))
    if (!(throughput >= 0.9 && latency <= 1.2)) reusedMet = false
    reused.push(
      `${framework}: ${formatRatio(throughput)} bare req/s, p99 ${formatRatio(latency)} bare (server CPU per request ${formatRatio(cpu)} bare)`,
    )
    const oursDistinct = findHttp(cells, framework, OURS_10K_CACHED, 'distinct-tokens')
    const oursNew = findHttp(cells, framework, OURS_NEW_TOKENS, 'distinct-tokens')
    for (const variant of VARIANTS[framework].filter(isPeer)) {
      const peer = findHttp(cells, framework, variant, 'distinct-tokens')
      if (oursDistinct === undefined || peer === undefined) continue
      const ratio = pairedRatio(rps(oursDistinct.samples), rps(peer.samples))
      if (!(ratio > 1)) distinctMet = false
      const worst = oursNew
        ? ` (every token new: ${formatRatio(pairedRatio(rps(oursNew.samples), rps(peer.samples)))})`
        : ''
      distinct.push(`${framework}: ${formatRatio(ratio)} ${variant}${worst}`)
    }
  }
  return [
    {
      goal: 'HTTP, reused token: ≥ 0.9× bare req/s, p99 within 1.2× bare (Express, Koa, Fastify)',
      met: reused.length > 0 && reusedMet,
      detail: reused.join('; '),
    },
    {
      goal: 'HTTP, 10,000 distinct tokens cycled: ahead of every peer middleware on the same framework',
      met: distinct.length > 0 && distinctMet,
      detail: `m2m-guard ÷ peer req/s, every token in m2m-guard's cache (10,000 clients reusing theirs): ${distinct.join('; ')}`,
    },
  ]
}

function memoryGoal(memory: MemoryResult): Verdict {
  const bound = memory.defaultCacheSize * memory.bytesPerToken * 1.1
  const withinBound = memory.defaultCacheBytes <= bound
  const [first, ...rest] = memory.heapSamples
  const last = rest.at(-1) ?? first ?? 0
  const growth = last - (first ?? 0)
  const flat = growth < 1 * MB
  return {
    goal: 'Memory: bytes per cached token; 100,000 tokens within the cache’s bound; heap flat under load',
    met: withinBound && flat,
    detail:
      `${formatNumber(memory.bytesPerToken)} bytes per cached token (tokens of ${memory.tokenLength} characters, ` +
      `token string included); ${formatNumber(memory.tokens)} distinct tokens through the default cache ` +
      `(${formatNumber(memory.defaultCacheSize)} entries) grew the heap ${(memory.defaultCacheBytes / MB).toFixed(1)} MB ` +
      `(bound ${(bound / MB).toFixed(1)} MB = entries × bytes per token + 10%); heap after GC moved ` +
      `${(growth / MB).toFixed(2)} MB over ${formatNumber(memory.loadRequests)} requests of churn ` +
      `(${(growth / Math.max(1, memory.loadRequests)).toFixed(2)} bytes per request; flat means < 1 MB)`,
  }
}

function eventLoopGoal(results: EventLoopResult[]): Verdict {
  let met = true
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`
  const parts = results.map((result) => {
    const ours = Math.max(result.oursSequential.blockP99, result.oursInFlight16.blockP99)
    const bare = result.signatureOnly.blockP99
    if (ours > 1.2 * bare) met = false
    return `${result.alg}: ${us(ours)} held at p99 per request vs ${us(bare)} for a bare signature check (${formatRatio(ours / bare)})`
  })
  return {
    goal: 'Event loop not blocked longer than one signature check by verification work',
    met: results.length > 0 && met,
    detail:
      `${parts.join('; ')}. Each new token is one signature check on this thread plus its parsing, claim checks and caching, ` +
      'so it holds the loop a little longer than the bare check; met when within 1.2× of it (room for noise, not for a second check)',
  }
}

export function judge(measurements: Measurements): Verdict[] {
  const notMeasured = (goal: string): Verdict => ({ goal, met: undefined, detail: 'suite not run' })
  const { inProcess, http, memory, eventLoop } = measurements
  return [
    ...(inProcess
      ? [...reusedInProcess(inProcess), newTokensInProcess(inProcess)]
      : [notMeasured('Reused token, in process'), notMeasured('New tokens, in process')]),
    ...(http ? httpGoals(http) : [notMeasured('HTTP, reused and distinct tokens')]),
    memory ? memoryGoal(memory) : notMeasured('Memory'),
    eventLoop ? eventLoopGoal(eventLoop) : notMeasured('Event loop'),
  ]
}
