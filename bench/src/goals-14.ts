/**
 * The goals of issue 14 (the second core for new tokens, near-zero overhead
 * per request), each judged from this run's measurements: met, not met, or
 * not measured (its suite did not run). goals.ts keeps issue 6's.
 */
import { type EventLoopResult, heldPerRequest } from './event-loop-child.js'
import type { Measurements, Verdict } from './goals.js'
import { httpWithFeatures, requestPath } from './goals-request-path.js'
import {
  CONTROLS,
  type Framework,
  isPeer,
  OURS_10K_CACHED,
  OURS_NEW_TOKENS,
  VARIANTS,
  variantLabel,
} from './http-variants.js'
import type { Cell } from './in-process.js'
import { formatCount, formatRatio } from './measure.js'
import {
  cacheCounts,
  cellRatio,
  cpus,
  fastestPeer,
  findCell,
  findHttp,
  p99s,
  pairedRatio,
  rps,
} from './ratios.js'

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
    // The same check on libuv's pool with nothing else done: what this machine allows.
    poolFloor: ratioOfCells(cells, ours, 'floor-crypto-pool', 'floor-crypto'),
    ofPoolFloor: cellRatio(cells, ours, 'floor-crypto-pool'),
  }))
  const sequential = oursNewTokens(cells, 1).map((ours) => {
    const peer = fastestPeer(cells, ours.alg, ours.workload, 1)
    const ratio =
      peer?.result && ours.result ? pairedRatio(ours.result.samples, peer.result.samples) : Number.NaN
    const noCache = findCell(cells, ours.alg, ours.workload, 1, 'ours-no-cache')
    const ratioNoCache =
      peer?.result && noCache?.result ? pairedRatio(noCache.result.samples, peer.result.samples) : Number.NaN
    return { alg: ours.alg, ratio, ratioNoCache, peer: peer?.contender.id ?? 'none' }
  })
  return [
    {
      goal: 'New tokens, 16 in flight, in process: ≥ 1.2× one core’s bare node:crypto signature check (RS256, ES256)',
      met: overlapping.length > 0 && overlapping.every(({ ratio }) => ratio >= 1.2),
      detail: `m2m-guard (default token cache, every token new to it) ÷ "floor: node:crypto verify (KeyObject)": ${overlapping
        .map(({ alg, ratio }) => `${alg}: ${formatRatio(ratio)}`)
        .join(
          ', ',
        )}. The ceiling on this machine, node:crypto's check on the thread pool with nothing else done (no parsing, no claims, no cache), ÷ the same one-core check: ${overlapping
        .map(
          ({ alg, poolFloor, ofPoolFloor }) =>
            `${alg}: ${formatRatio(poolFloor)} (m2m-guard ÷ it: ${formatRatio(ofPoolFloor)})`,
        )
        .join(', ')}`,
    },
    {
      goal: 'New tokens, one at a time, in process: ≥ 1.0× the fastest peer (RS256, ES256)',
      met: sequential.length > 0 && sequential.every(({ ratio }) => ratio >= 1),
      detail: sequential
        .map(
          ({ alg, ratio, ratioNoCache, peer }) =>
            `${alg}: ${formatRatio(ratio)} ${peer} (token cache off: ${formatRatio(ratioNoCache)})`,
        )
        .join(', '),
    },
  ]
}

/** Two other contenders' paired ratio in `like`'s cell (same algorithm, workload, in flight). */
function ratioOfCells(cells: Cell[], like: Cell, aId: string, bId: string): number {
  const a = findCell(cells, like.alg, like.workload, like.inFlight, aId)
  return a === undefined ? Number.NaN : cellRatio(cells, a, bId)
}

function eventLoop(results: EventLoopResult[]): Verdict {
  const parts = results.map((result) => {
    const perRequest = heldPerRequest(result.oursInFlight16, result.idle)
    const bare = heldPerRequest(result.signatureOnly, result.idle)
    const poolCheck = heldPerRequest(result.poolCheckInFlight16, result.idle)
    return {
      alg: result.alg,
      ratio: perRequest / bare,
      perRequest,
      bare,
      poolCheck,
      p99: result.oursInFlight16.blockP99 / result.signatureOnly.blockP99,
    }
  })
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`
  return {
    goal: 'Event loop, verifications overlapping (16 in flight): a new token holds it < ½ of one bare signature check',
    met: parts.length > 0 && parts.every(({ ratio }) => ratio < 0.5),
    detail: `loop held per new token (all turns' time over requests, idle turns taken off) vs per bare check: ${parts
      .map(
        ({ alg, ratio, perRequest, bare, p99, poolCheck }) =>
          `${alg}: ${us(perRequest)} vs ${us(bare)} (${formatRatio(ratio)}; the p99 turn: ${formatRatio(p99)} the bare check's; the bare check on the thread pool, nothing else done: ${us(poolCheck)}, ${formatRatio(poolCheck / bare)})`,
      )
      .join('; ')}`,
  }
}

type HttpCells = NonNullable<Measurements['http']>

/** m2m-guard's `variant` ÷ the best peer (the one it leads by the least) on distinct tokens, repeat by repeat. */
function vsBestPeer(cells: HttpCells, framework: Framework, variant: string) {
  const ours = findHttp(cells, framework, variant, 'distinct-tokens')
  const ratios = VARIANTS[framework].filter(isPeer).flatMap((peerVariant) => {
    const peer = findHttp(cells, framework, peerVariant, 'distinct-tokens')
    return ours && peer
      ? [{ variant: peerVariant, ratio: pairedRatio(rps(ours.samples), rps(peer.samples)) }]
      : []
  })
  return ratios.length === 0 ? undefined : ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a))
}

/** `99.9% of 37,000` hits, from the counts the server reported, or why there are none. */
function hitRate(cells: HttpCells, framework: Framework, variant: string): string {
  const cell = findHttp(cells, framework, variant, 'distinct-tokens')
  const counts = cell && cacheCounts(cell)
  if (counts === undefined) return 'cache not counted'
  const total = counts.hits + counts.misses
  return `cache hits ${((100 * counts.hits) / Math.max(1, total)).toFixed(1)}% of ${formatCount(total)}`
}

/** A reused-token row ÷ bare, repeat by repeat: req/s, p99 and server CPU per request; undefined if either did not run. */
function vsBare(cells: HttpCells, framework: Framework, variant: string) {
  const bare = findHttp(cells, framework, 'bare', 'reused-token')
  const cell = findHttp(cells, framework, variant, 'reused-token')
  if (bare === undefined || cell === undefined) return undefined
  return {
    throughput: pairedRatio(rps(cell.samples), rps(bare.samples)),
    latency: pairedRatio(p99s(cell.samples), p99s(bare.samples)),
    cpu: pairedRatio(cpus(cell.samples), cpus(bare.samples)),
  }
}

const describeVsBare = (ratios: NonNullable<ReturnType<typeof vsBare>>) =>
  `${formatRatio(ratios.throughput)} req/s, p99 ${formatRatio(ratios.latency)}, server CPU per request ${formatRatio(ratios.cpu)}`

function http(cells: HttpCells): Verdict[] {
  const distinct: string[] = []
  const allNew: string[] = []
  const reused: string[] = []
  const filled: string[] = []
  const controls: string[] = []
  let distinctMet = true
  let reusedMet = true
  for (const framework of Object.keys(VARIANTS) as Framework[]) {
    // Judged: plain m2m-guard, whose cache holds what the reused-token workload puts there (one token).
    const ours = vsBare(cells, framework, 'm2m-guard')
    if (ours) {
      if (!(ours.throughput >= 0.95 && ours.latency <= 1.1)) reusedMet = false
      reused.push(`${framework}: ${describeVsBare(ours)}`)
    }
    const big = vsBare(cells, framework, OURS_10K_CACHED)
    if (big) filled.push(`${framework}: ${describeVsBare(big)}`)
    for (const control of CONTROLS) {
      const ratios = vsBare(cells, framework, control)
      if (ratios)
        controls.push(
          `${framework}, ${variantLabel(control).replace('control: bare + ', '')}: ${describeVsBare(ratios)}`,
        )
    }
    const newTokens = vsBestPeer(cells, framework, OURS_NEW_TOKENS)
    if (newTokens)
      allNew.push(
        `${framework}: ${formatRatio(newTokens.ratio)} ${newTokens.variant} (${hitRate(cells, framework, OURS_NEW_TOKENS)})`,
      )
    const best = vsBestPeer(cells, framework, OURS_10K_CACHED)
    if (best === undefined) continue
    if (!(best.ratio >= 1.5)) distinctMet = false
    distinct.push(
      `${framework}: ${formatRatio(best.ratio)} ${best.variant} (${hitRate(cells, framework, OURS_10K_CACHED)})`,
    )
  }
  const notMeasured = (parts: string[]) => (parts.length > 0 ? parts.join('; ') : 'not measured')
  return [
    {
      goal: 'HTTP, 10,000 distinct tokens: ≥ 1.5× the best peer middleware on each framework',
      met: distinct.length > 0 && distinctMet,
      detail:
        `judged: 10,000 clients each reusing its token, every one in m2m-guard's cache (a server of its own, its cache sized for the pool, warmed); m2m-guard ÷ best peer, req/s: ${distinct.join('; ')}. ` +
        `Not judged, the worst case: every token new to m2m-guard (its cache half the pool), as to the peers, which keep none: ${notMeasured(allNew)}`,
    },
    {
      goal: 'HTTP, reused token: ≥ 0.95× bare req/s and p99 ≤ 1.1× bare (Express, Koa, Fastify)',
      met: reused.length > 0 && reusedMet,
      detail:
        `judged: m2m-guard (default token cache, holding only the reused token) ÷ bare, same repeat: ${reused.join('; ')}. ` +
        `Not judged: the same guard on the server whose cache holds the 10,000 distinct tokens (a bigger heap for the GC to trace): ${notMeasured(filled)}. ` +
        `Not judged, controls on Express only (what it charges any middleware that checks nothing), ÷ bare: ${notMeasured(controls)}`,
    },
  ]
}

export function judgeIssue14(measurements: Measurements): Verdict[] {
  const notMeasured = (goal: string): Verdict => ({ goal, met: undefined, detail: 'suite not run' })
  const { inProcess, http: httpCells, eventLoop: loop } = measurements
  return [
    ...(inProcess ? newTokens(inProcess) : [notMeasured('New tokens, in process')]),
    loop ? eventLoop(loop) : notMeasured('Event loop'),
    ...(httpCells ? http(httpCells) : [notMeasured('HTTP')]),
    ...(inProcess ? requestPath(inProcess) : [notMeasured('Request path')]),
    ...(httpCells
      ? httpWithFeatures(httpCells)
      : [notMeasured('HTTP, reused token, with usage / with metrics')]),
  ]
}
