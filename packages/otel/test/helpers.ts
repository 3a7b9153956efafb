/** The real OpenTelemetry SDK with a reader the test collects from on demand. */
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics'

/** A reader that collects when the test asks, with one temporality for every instrument. */
export class OnDemandReader extends MetricReader {
  constructor(temporality = AggregationTemporality.CUMULATIVE) {
    super({ aggregationTemporalitySelector: () => temporality })
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface Collected {
  /** The data points of `name`, each with its attributes. */
  points(name: string): DataPoint<number | Histogram>[]
  /** The sum of counter `name` over the points whose attributes include `match`. */
  count(name: string, match?: Record<string, unknown>): number
  /** Distinct attribute sets of `name`. */
  series(name: string): string[]
}

export function createMetrics(): { meterProvider: MeterProvider; collect(): Promise<Collected> } {
  const reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    meterProvider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw new AggregateError(errors)
      const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
      const points = (name: string) =>
        all
          .filter((metric) => metric.descriptor.name === name)
          .flatMap(
            (metric): DataPoint<number | Histogram>[] => metric.dataPoints as DataPoint<number | Histogram>[],
          )
      const matches = (attributes: Record<string, unknown>, match: Record<string, unknown>) =>
        Object.entries(match).every(([key, value]) => attributes[key] === value)
      return {
        points,
        count: (name, match = {}) =>
          points(name)
            .filter((point) => matches(point.attributes, match))
            .reduce((sum, point) => sum + (point.value as number), 0),
        series: (name) => points(name).map((point) => JSON.stringify(point.attributes)),
      }
    },
  }
}
