/**
 * `instrument()`: attaches metrics to a verifier or a token client that
 * already exists, through the hooks core and the client publish (no
 * `onEvent` needed, none replaced).
 */

import type { Verifier } from '@m2m-guard/core'
import { createNoopMeter, type Meter, type MeterProvider, metrics } from '@opentelemetry/api'
import { instrumentTokenClient } from './client-metrics.js'
import { instrumentVerifier } from './verifier-metrics.js'

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where to record. Default the global one (`metrics.setGlobalMeterProvider`, what the SDK's start registers). */
  meterProvider?: MeterProvider | undefined
}

/** What {@link instrument} accepts for a token client: a `createTokenClient()` result (`@m2m-guard/client`). */
export interface InstrumentableTokenClient {
  getToken(): Promise<string>
}

const SCOPE_NAME = '@m2m-guard/otel'
const SCOPE_VERSION = '0.1.0'
const NoopMeter = createNoopMeter().constructor

/**
 * Records the metrics of `target` (a verifier from `createVerifier`, or a
 * token client from `createTokenClient`) until the returned function is
 * called. With no meter provider registered (the API's no-op), it attaches
 * nothing and costs nothing: register the SDK first.
 *
 * @example
 * import { instrument } from '@m2m-guard/otel'
 * const stop = instrument(verifier)            // the global meter provider
 * const stopClient = instrument(tokenClient, { meterProvider })
 * // on shutdown:
 * stop()
 */
export function instrument(
  target: Verifier | InstrumentableTokenClient,
  options: InstrumentOptions = {},
): () => void {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('instrument: options must be an object')
  const { meterProvider } = options
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function') {
    throw new TypeError('instrument: "meterProvider" must be a MeterProvider')
  }
  const meter: Meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, SCOPE_VERSION)
  const kind = kindOf(target)
  // The API's meter until an SDK registers: everything recorded would vanish, so subscribe to nothing.
  if (meter instanceof NoopMeter) return () => {}
  return kind === 'verifier'
    ? instrumentVerifier(target as Verifier, meter)
    : instrumentTokenClient(target as object, meter)
}

function kindOf(target: unknown): 'verifier' | 'client' {
  const candidate = target as Partial<Record<string, unknown>> | null
  if (typeof candidate === 'object' && candidate !== null) {
    if (typeof candidate.keyStatus === 'function' && typeof candidate.authenticate === 'function')
      return 'verifier'
    if (typeof candidate.getToken === 'function' && typeof candidate.invalidate === 'function')
      return 'client'
  }
  throw new TypeError(
    'instrument: the target must be a verifier (createVerifier) or a token client (createTokenClient)',
  )
}
