/**
 * The OpenTelemetry SDK as a service would run it: a MeterProvider with a
 * reader. Without one the SDK registers no storage for any instrument and
 * drops every record, which would time @m2m-guard/otel without the SDK's
 * aggregation. The reader is a pull reader (as the Prometheus exporter is);
 * the bench never collects from it, so no export runs during a measurement.
 */
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'

class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * A MeterProvider whose instruments record into the SDK's aggregations.
 *
 * @example
 * instrument(verifier, { meterProvider: recordingMeterProvider() })
 */
export function recordingMeterProvider(): MeterProvider {
  return new MeterProvider({ readers: [new PullReader()] })
}
