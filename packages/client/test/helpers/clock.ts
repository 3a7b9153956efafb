/**
 * A clock that moves only when told. `sleep` records the delay and advances the clock by it, so
 * retry backoff is observable and costs no real time.
 */
export interface FakeClock {
  now: () => number
  advance(ms: number): void
  sleep: (ms: number) => Promise<void>
  sleeps: number[]
}

export function createFakeClock(start = Date.UTC(2030, 0, 1)): FakeClock {
  let time = start
  const sleeps: number[] = []
  return {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
    sleep: async (ms) => {
      sleeps.push(ms)
      time += ms
    },
    sleeps,
  }
}
