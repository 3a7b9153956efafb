/**
 * The timing loop and the statistics. An operation is timed as its caller
 * experiences it: a synchronous API is called, an asynchronous one is also
 * awaited. With `inFlight` > 1, that many callers run at once (a server with
 * that many requests waiting), which lets thread-pool work overlap.
 */
import { performance } from 'node:perf_hooks'

/** One operation; `i` picks the token (callers cycle through their pool). */
export type Op = (i: number) => unknown

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

/** Calls between two clock reads: enough that reading the clock costs nothing measurable. */
async function batchSize(op: Op, next: () => number, calibrationMs: number): Promise<number> {
  const start = performance.now()
  let calls = 0
  while (performance.now() - start < calibrationMs) {
    const result = op(next())
    if (isThenable(result)) await result
    calls++
  }
  const perCallMs = (performance.now() - start) / calls
  return Math.max(1, Math.min(4096, Math.floor(0.5 / perCallMs)))
}

/** A shared, ever-increasing token index, so repeats keep cycling through a pool instead of restarting it. */
export function counter(): () => number {
  let value = 0
  return () => value++
}

/** Runs `op` for about `durationMs` with `inFlight` concurrent callers and returns operations per second. */
export async function throughput(
  op: Op,
  durationMs: number,
  inFlight: number,
  next = counter(),
  calibrationMs = 20,
): Promise<number> {
  const batch = await batchSize(op, next, calibrationMs)
  let completed = 0
  const start = performance.now()
  const deadline = start + durationMs
  const worker = async () => {
    while (performance.now() < deadline) {
      for (let k = 0; k < batch; k++) {
        const result = op(next())
        if (isThenable(result)) await result
      }
      completed += batch
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return completed / ((performance.now() - start) / 1000)
}

/** Median, min and max of a sample. */
export interface Summary {
  median: number
  min: number
  max: number
  samples: number[]
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? (sorted[middle] as number)
        : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, samples }
}

/** Frees what the previous measurement left, when node runs with --expose-gc. */
export function collectGarbage(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

/** `value` with three significant digits and a thousands separator, for tables. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value >= 1000) return Math.round(value).toLocaleString('en-US')
  return value.toPrecision(3)
}

/** A count as `12,345` (also 0 and small counts, which formatNumber would print as `0.00`). */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

/**
 * A ratio as `1.23×` or `12.3×`; below 0.1, two significant digits (`0.0021×`),
 * because a cache hit against a signature check is a ratio of thousands and a
 * fixed two decimals would print it as `0.00×`.
 */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value === 0) return '0×'
  if (value >= 10) return `${value.toFixed(1)}×`
  if (value >= 0.1) return `${value.toFixed(2)}×`
  return `${Number(value.toPrecision(2))}×`
}

/** A duration given in ns, as `340 ns` or `131 µs` (three significant digits). */
export function formatNanoseconds(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a'
  return Math.abs(ns) < 1000 ? `${Math.round(ns)} ns` : `${formatNumber(ns / 1000)} µs`
}

/** A difference in ns with its sign: `+340 ns`, `−12 ns`. */
export function formatAddedNanoseconds(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a'
  return ns < 0 ? `−${formatNanoseconds(-ns)}` : `+${formatNanoseconds(ns)}`
}
