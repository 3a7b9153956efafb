/**
 * The charts of a run, drawn from the same measurements as the tables
 * (medians over repeats): ops/s per contender and algorithm, HTTP req/s and
 * p99 per framework, and how long the event loop is held. Written as SVG
 * files next to the report, which links them.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EventLoopResult } from './event-loop-child.js'
import type { Measurements } from './goals.js'
import type { HttpWorkload } from './http.js'
import { VARIANTS, variantLabel } from './http-variants.js'
import type { Cell } from './in-process.js'
import { summarize } from './measure.js'
import { findHttp, p99s, rps } from './ratios.js'
import { type BarChart, renderBarChart } from './svg-chart.js'

export interface WrittenChart {
  file: string
  title: string
}

function inProcessCharts(cells: Cell[]): [string, BarChart][] {
  const groups = [...new Set(cells.map((cell) => `${cell.alg}|${cell.workload}`))]
  return groups.map((group) => {
    const [alg, workload] = group.split('|') as [string, string]
    const inGroup = cells.filter((cell) => cell.alg === alg && cell.workload === workload)
    const inFlights = [...new Set(inGroup.map((cell) => cell.inFlight))]
    const ids = [...new Set(inGroup.filter((cell) => cell.result).map((cell) => cell.contender.id))]
    const floor = inGroup.find((cell) => cell.contender.id === 'floor-crypto' && cell.inFlight === 1)
    const reused = workload === 'same-token'
    const chart: BarChart = {
      title: `${alg}, ${reused ? 'one reused token' : 'new tokens (distinct, every one new to the verifier)'}`,
      unit: 'operations per second, in process (median of the repeats)',
      series: inFlights.map((n) => `${n} in flight`),
      rows: ids.map((id) => ({
        label: inGroup.find((cell) => cell.contender.id === id)?.contender.label ?? id,
        values: inFlights.map(
          (n) => inGroup.find((cell) => cell.contender.id === id && cell.inFlight === n)?.result?.median,
        ),
      })),
      log: reused,
    }
    if (!reused && floor?.result) {
      chart.marker = { value: floor.result.median * 1.2, label: '1.2× one core’s bare check (goal)' }
    }
    return [`in-process-${alg}-${workload}.svg`, chart]
  })
}

/** Issue 11's DPoP row: a DPoP request per replay store, beside plain Bearer and one bare ES256 check. */
function dpopChart(cells: Cell[]): [string, BarChart] | undefined {
  const rows: [id: string, label: string][] = [
    ['ours', 'plain Bearer, reused token (cache hit)'],
    ['floor-crypto', 'one bare ES256 signature check (node:crypto)'],
    ['ours-dpop', 'DPoP, replay store stubbed'],
    ['ours-dpop-memory', 'DPoP, in-memory replay store (default)'],
    ['ours-dpop-redis', 'DPoP, @m2m-guard/redis replay store'],
  ]
  const group = cells.filter((cell) => cell.alg === 'ES256' && cell.workload === 'same-token')
  if (!group.some((cell) => cell.contender.id === 'ours-dpop-memory' && cell.result)) return undefined
  const inFlights = [...new Set(group.map((cell) => cell.inFlight))]
  return [
    'dpop-replay-stores.svg',
    {
      title: 'DPoP per request, by replay store (ES256 proof, reused token)',
      unit: 'operations per second, in process (median of the repeats)',
      series: inFlights.map((n) => `${n} in flight`),
      rows: rows.map(([id, label]) => ({
        label,
        values: inFlights.map(
          (n) => group.find((cell) => cell.contender.id === id && cell.inFlight === n)?.result?.median,
        ),
      })),
      log: true,
    },
  ]
}

function httpCharts(cells: NonNullable<Measurements['http']>): [string, BarChart][] {
  const charts: [string, BarChart][] = []
  const workloads: HttpWorkload[] = ['reused-token', 'distinct-tokens']
  const rows = Object.entries(VARIANTS).flatMap(([framework, variants]) =>
    variants
      .filter((variant) => workloads.some((w) => findHttp(cells, framework, variant, w)))
      .map((variant) => ({ framework, variant })),
  )
  for (const [measure, pick, unit] of [
    ['rps', rps, 'requests per second (median of the repeats)'],
    ['p99', p99s, 'p99 latency, ms (median of the repeats)'],
  ] as const) {
    charts.push([
      `http-${measure}.svg`,
      {
        title: `HTTP, RS256: ${measure === 'rps' ? 'requests per second' : 'p99 latency'} per framework`,
        unit,
        series: ['one reused token', 'distinct tokens (m2m-guard, 10,000 cached: every one cached)'],
        rows: rows.map(({ framework, variant }) => ({
          label: `${framework}: ${variantLabel(variant)}`,
          values: workloads.map((w) => {
            const cell = findHttp(cells, framework, variant, w)
            return cell ? summarize(pick(cell.samples)).median : undefined
          }),
        })),
      },
    ])
  }
  return charts
}

function eventLoopChart(results: EventLoopResult[]): [string, BarChart] {
  const drivers = [
    ['bare signature check', (r: EventLoopResult) => r.signatureOnly],
    ['m2m-guard, 1 in flight', (r: EventLoopResult) => r.oursSequential],
    ['m2m-guard, 16 in flight', (r: EventLoopResult) => r.oursInFlight16],
    ['bare check on the thread pool, 16 in flight', (r: EventLoopResult) => r.poolCheckInFlight16],
  ] as const
  return [
    'event-loop.svg',
    {
      title: 'Event loop held per request, new tokens',
      unit: 'µs between two turns of the loop, p99',
      series: results.map((result) => result.alg),
      rows: drivers.map(([label, pick]) => ({
        label,
        values: results.map((result) => pick(result).blockP99 * 1000),
      })),
    },
  ]
}

/** Writes the run's charts into `dir`; returns them for the report to link. */
export function writeCharts(measurements: Measurements, dir: string): WrittenChart[] {
  const charts: [string, BarChart][] = [
    ...(measurements.inProcess ? inProcessCharts(measurements.inProcess) : []),
    ...(measurements.inProcess
      ? [dpopChart(measurements.inProcess)].filter((chart) => chart !== undefined)
      : []),
    ...(measurements.http ? httpCharts(measurements.http) : []),
    ...(measurements.eventLoop ? [eventLoopChart(measurements.eventLoop)] : []),
  ]
  mkdirSync(dir, { recursive: true })
  return charts.map(([file, chart]) => {
    writeFileSync(join(dir, file), renderBarChart(chart))
    return { file: join(dir, file), title: chart.title }
  })
}
