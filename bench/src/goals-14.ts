/**
 * The goals of issue 14 (the second core for new tokens, near-zero overhead
 * per request), each judged from this run's measurements: met, not met, or
 * not measured (its suite did not run). goals.ts keeps issue 6's.
 */
import { type EventLoopResult, heldPerRequest } from './event-loop-child.js'
import type { Measurements, Verdict } from './goals.js'
import { httpWithFeatures, requestPath } from './goals-request-path.js'
import { type Framework, isPeer, VARIANTS } from './http-server.js'
import type { Cell } from './in-process.js'
import { formatRatio } from './measure.js'
import { cellRatio, fastestPeer, findHttp, p99s, pairedRatio, rps } from './ratios.js'

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
    const peers = VARIANTS[framework].filter(isPeer)
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
