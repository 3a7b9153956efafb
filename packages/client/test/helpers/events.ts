import type { TokenClientEvent } from '@m2m-guard/client'

/** Collects events, and lets a test await the next one of a given type. */
export interface EventLog {
  events: TokenClientEvent[]
  onEvent: (event: TokenClientEvent) => void
  next<T extends TokenClientEvent['type']>(type: T): Promise<Extract<TokenClientEvent, { type: T }>>
}

export function createEventLog(): EventLog {
  const events: TokenClientEvent[] = []
  const waiting: Array<{ type: string; resolve: (event: TokenClientEvent) => void }> = []
  return {
    events,
    onEvent: (event) => {
      events.push(event)
      for (const waiter of waiting.splice(0)) {
        if (waiter.type === event.type) waiter.resolve(event)
        else waiting.push(waiter)
      }
    },
    next: (type) =>
      new Promise((resolve) => {
        waiting.push({ type, resolve: resolve as (event: TokenClientEvent) => void })
      }),
  }
}
