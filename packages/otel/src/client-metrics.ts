/**
 * A token client's requests to its token endpoint as a counter. The client
 * publishes its events on the `m2m-guard:client:token` diagnostics channel
 * (it runs where Node's built-ins do); this subscribes there and keeps the
 * messages of the one client it was given.
 */
import type { Meter } from '@opentelemetry/api'
import { METRICS } from './names.js'

/** The channel name `@m2m-guard/client` exports as `CLIENT_CHANNEL`. */
const CLIENT_CHANNEL = 'm2m-guard:client:token'

interface ClientEvent {
  type: string
  source?: string
  reason?: string
}

interface Diagnostics {
  subscribe(name: string, listener: (message: unknown) => void): void
  unsubscribe(name: string, listener: (message: unknown) => void): boolean
}

/** Records `client`'s token requests on `meter`; returns the function that stops. */
export function instrumentTokenClient(client: object, meter: Meter): () => void {
  const diagnostics = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:diagnostics_channel') as Diagnostics | undefined
  if (diagnostics === undefined) {
    throw new TypeError('instrument: a token client needs node:diagnostics_channel, which this runtime lacks')
  }
  const requests = meter.createCounter(METRICS.clientTokenRequests, {
    description: 'Requests to the token endpoint, by outcome',
    unit: '{request}',
  })
  const listener = (message: unknown) => {
    const { client: emitter, event } = message as { client: unknown; event: ClientEvent }
    if (emitter !== client) return
    if (
      (event.type === 'token_fetched' || event.type === 'token_renewed') &&
      event.source === 'token_endpoint'
    ) {
      requests.add(1, { outcome: 'success' })
    } else if (event.type === 'token_request_failed') {
      // `reason` is the client's fixed vocabulary (http_error, network, timeout, …), never server text.
      requests.add(1, { outcome: 'failure', reason: String(event.reason) })
    }
  }
  diagnostics.subscribe(CLIENT_CHANNEL, listener)
  return () => {
    diagnostics.unsubscribe(CLIENT_CHANNEL, listener)
  }
}
