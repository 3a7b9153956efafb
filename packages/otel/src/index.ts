/**
 * @m2m-guard/otel: OpenTelemetry metrics for m2m-guard verifiers and token
 * clients, through `@opentelemetry/api` (a peer dependency; the app brings
 * the SDK and the exporter).
 *
 * @example
 * import { instrument } from '@m2m-guard/otel'
 * const stop = instrument(verifier)
 */
export {
  type InstrumentableTokenClient,
  type InstrumentOptions,
  instrument,
} from './instrument.js'
export { FETCH_BUCKETS, METRICS, UNKNOWN_ISSUER, VERIFICATION_BUCKETS } from './names.js'
