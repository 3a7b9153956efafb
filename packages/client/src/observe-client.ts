/**
 * The token client's events on `node:diagnostics_channel`, besides
 * `onEvent`: what APM tools and `@m2m-guard/otel` subscribe to, so they can
 * attach to a client created elsewhere. Nothing is sent while nobody listens.
 */
import diagnostics from 'node:diagnostics_channel'
import type { TokenClientEvent } from './events.js'

/**
 * The diagnostics channel of every token client's events. Each message is
 * `{ client, event }`: the emitting client (to tell several apart) and a
 * {@link TokenClientEvent}, which never carries a secret, an assertion or a token.
 *
 * @example
 * import diagnostics from 'node:diagnostics_channel'
 * diagnostics.subscribe('m2m-guard:client:token', ({ event }) => console.log(event.type))
 */
export const CLIENT_CHANNEL = 'm2m-guard:client:token'

const channel = diagnostics.channel(CLIENT_CHANNEL)

/** `emit` (already made safe), then the channel, naming the client `clientOf()` returns. */
export function publishingEmitter(
  emit: (event: TokenClientEvent) => void,
  clientOf: () => object | undefined,
): (event: TokenClientEvent) => void {
  return (event) => {
    emit(event)
    if (!channel.hasSubscribers) return
    try {
      channel.publish({ client: clientOf(), event })
    } catch {
      // Observability must not take the token flow down with it.
    }
  }
}
