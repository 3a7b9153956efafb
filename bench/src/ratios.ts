/**
 * Ratios between measurements taken in the same repeats: each repeat's ratio
 * first, then the median over repeats, so drift between repeats cancels out.
 */

import type { HttpCell, HttpSample, HttpWorkload } from './http.js'
import type { Cell } from './in-process.js'
import { summarize } from './measure.js'

/** Median over repeats of `a[r] / b[r]`. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  const ratios: number[] = []
  for (let r = 0; r < Math.min(a.length, b.length); r++) ratios.push((a[r] as number) / (b[r] as number))
  return summarize(ratios).median
}

export function findCell(
  cells: readonly Cell[],
  alg: string,
  workload: string,
  inFlight: number,
  id: string,
): Cell | undefined {
  return cells.find(
    (cell) =>
      cell.alg === alg &&
      cell.workload === workload &&
      cell.inFlight === inFlight &&
      cell.contender.id === id,
  )
}

/** Ratio of two contenders' throughput in the same (alg, workload, in-flight) group; NaN if either did not run. */
export function cellRatio(cells: readonly Cell[], a: Cell | undefined, bId: string): number {
  if (a?.result === undefined) return Number.NaN
  const b = findCell(cells, a.alg, a.workload, a.inFlight, bId)
  return b?.result === undefined ? Number.NaN : pairedRatio(a.result.samples, b.result.samples)
}

/** The fastest peer of a group, by median. */
export function fastestPeer(
  cells: readonly Cell[],
  alg: string,
  workload: string,
  inFlight: number,
): Cell | undefined {
  let best: Cell | undefined
  for (const cell of cells) {
    if (cell.alg !== alg || cell.workload !== workload || cell.inFlight !== inFlight) continue
    if (cell.contender.kind !== 'peer' || cell.result === undefined) continue
    if (best?.result === undefined || cell.result.median > best.result.median) best = cell
  }
  return best
}

export function findHttp(
  cells: readonly HttpCell[],
  framework: string,
  variant: string,
  workload: HttpWorkload,
): HttpCell | undefined {
  return cells.find(
    (cell) => cell.framework === framework && cell.variant === variant && cell.workload === workload,
  )
}

/** A cell's token-cache hits and misses summed over its repeats; undefined where none were counted. */
export function cacheCounts(cell: HttpCell): { hits: number; misses: number } | undefined {
  const counted = cell.samples.filter((sample) => sample.cacheHits !== undefined)
  if (counted.length === 0) return undefined
  return {
    hits: counted.reduce((sum, sample) => sum + (sample.cacheHits ?? 0), 0),
    misses: counted.reduce((sum, sample) => sum + (sample.cacheMisses ?? 0), 0),
  }
}

export const rps = (samples: readonly HttpSample[]) => samples.map((sample) => sample.requestsPerSecond)
export const p99s = (samples: readonly HttpSample[]) => samples.map((sample) => sample.p99)
export const cpus = (samples: readonly HttpSample[]) => samples.map((sample) => sample.cpuPerRequest)

/** Median over repeats of `a[r] − b[r]`. */
export function pairedDifference(a: readonly number[], b: readonly number[]): number {
  const differences: number[] = []
  for (let r = 0; r < Math.min(a.length, b.length); r++) differences.push((a[r] as number) - (b[r] as number))
  return summarize(differences).median
}

/**
 * What `a` adds per operation over `b`'s row in the same group, in ns: the
 * median over repeats of 1/ops(a) − 1/ops(b). With several in flight this is
 * wall time per operation at that concurrency, not latency.
 */
export function cellAddedNs(cells: readonly Cell[], a: Cell | undefined, bId: string): number {
  if (a?.result === undefined) return Number.NaN
  const b = findCell(cells, a.alg, a.workload, a.inFlight, bId)
  if (b?.result === undefined) return Number.NaN
  const nsPerOp = (samples: number[]) => samples.map((opsPerSecond) => 1e9 / opsPerSecond)
  return pairedDifference(nsPerOp(a.result.samples), nsPerOp(b.result.samples))
}
