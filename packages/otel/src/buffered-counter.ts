/**
 * A synchronous OpenTelemetry counter whose increments are summed here
 * between collections, so the request path pays a field increment instead
 * of the SDK's work per `add` (the SDK hashes the attribute set on every
 * call: sorts its keys and `JSON.stringify`s them). Three SDK calls per
 * reused token held that path to 0.28–0.31× of its plain speed on a provider
 * without readers (bench/RESULTS.md, "Request path: OpenTelemetry metrics"),
 * and to about 0.07× once a reader is attached and the SDK really aggregates.
 *
 * What an exporter sees does not change: the instrument is still a Counter
 * (same kind for views and temporality selectors), the sum at each
 * collection is the same, and so is each point's start time, because the
 * first increment of a series after each collection still goes straight to
 * the SDK (the SDK dates a new series, or a delta interval, by its first
 * `add`); only the increments after it wait, and {@link BufferedCounter.flush}
 * hands them over from an observable callback, which the SDK runs at the
 * start of every collection, before it reads synchronous instruments.
 *
 * Why not an ObservableCounter fed from these sums: exporters would see a
 * different instrument. Its type reaches temporality selectors (the OTLP
 * exporter's `lowmemory` preference exports Counters as delta but
 * ObservableCounters as cumulative) and views selecting by type, and its
 * points start at the collection that first observed them, not at the
 * first increment.
 */
import type { Attributes, Counter } from '@opentelemetry/api'

/** One attribute set of a {@link BufferedCounter}. Create with {@link BufferedCounter.series}. */
export interface CountedSeries {
  /** Frozen: the SDK keeps the first object it is handed for a series, and exports it. */
  readonly attributes: Attributes
  /** Increments not yet handed to the SDK. */
  pending: number
  /** True once this series reached the SDK since the last flush: later increments wait. */
  live: boolean
}

/**
 * A counter counted in-package between collections.
 *
 * @example
 * const lookups = new BufferedCounter(meter.createCounter('m2m_guard.token_cache.lookups'))
 * const hit = lookups.series({ hit: true })
 * lookups.add(hit) // on every hit
 * gauge.addCallback(() => lookups.flush()) // at every collection
 */
export class BufferedCounter {
  readonly #counter: Counter
  /** The series that reached the SDK since the last flush. */
  readonly #live: CountedSeries[] = []

  constructor(counter: Counter) {
    this.#counter = counter
  }

  /** A series for `attributes`; keep it and pass it to every {@link add}. */
  series(attributes: Attributes): CountedSeries {
    return { attributes: Object.freeze({ ...attributes }), pending: 0, live: false }
  }

  /** Counts one for `series`. */
  add(series: CountedSeries): void {
    if (series.live) {
      series.pending += 1
      return
    }
    series.live = true
    this.#live.push(series)
    this.#counter.add(1, series.attributes)
  }

  /** Hands every pending increment to the SDK: call at each collection, and when stopping. */
  flush(): void {
    for (const series of this.#live) {
      if (series.pending > 0) this.#counter.add(series.pending, series.attributes)
      series.pending = 0
      series.live = false
    }
    this.#live.length = 0
  }
}
