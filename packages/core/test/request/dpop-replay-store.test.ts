import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore, ReplayStoreFullError } from '../../src/request/dpop-replay-store.js'

describe('createMemoryReplayStore', () => {
  it('accepts an id once while it is recorded, and again once it expired', () => {
    let now = 1_000
    const store = createMemoryReplayStore({ clock: () => now })
    expect(store.claim('a', 5_000)).toBe(true)
    expect(store.claim('a', 5_000)).toBe(false)
    expect(store.claim('b', 5_000)).toBe(true)
    now = 5_001
    expect(store.claim('a', 9_000)).toBe(true)
    expect(store.claim('a', 9_000)).toBe(false)
  })

  it('stays bounded: expired ids make room, live ones are never forgotten (full fails closed)', () => {
    let now = 0
    const store = createMemoryReplayStore({ max: 3, clock: () => now })
    expect(store.claim('a', 100)).toBe(true)
    expect(store.claim('b', 100)).toBe(true)
    expect(store.claim('c', 200)).toBe(true)
    expect(() => store.claim('d', 300)).toThrow(ReplayStoreFullError)
    // Nothing was evicted to make room: every live id still reads as a replay.
    for (const id of ['a', 'b', 'c']) expect(store.claim(id, 300)).toBe(false)
    now = 150
    expect(store.claim('d', 300)).toBe(true) // a and b expired: room again
    expect(store.claim('e', 300)).toBe(true)
    expect(store.claim('c', 300)).toBe(false)
    expect(() => store.claim('f', 300)).toThrow(ReplayStoreFullError)
  })

  it('an older claim that lives longer does not keep expired ids behind it from making room', () => {
    let now = 0
    const store = createMemoryReplayStore({ max: 3, clock: () => now })
    // A proof issued just now is claimed first; two issued long ago (nearly expired) after it.
    expect(store.claim('fresh', 1_000)).toBe(true)
    expect(store.claim('old-1', 100)).toBe(true)
    expect(store.claim('old-2', 100)).toBe(true)
    now = 150
    expect(store.claim('new', 1_000)).toBe(true)
    expect(store.claim('fresh', 1_000)).toBe(false)
    expect(store.claim('new', 1_000)).toBe(false)
  })

  it('a flood of distinct ids never holds more than max', () => {
    let now = 0
    const store = createMemoryReplayStore({ max: 100, clock: () => now })
    let accepted = 0
    for (let index = 0; index < 10_000; index++) {
      now = index // each id lives 50 ms
      try {
        if (store.claim(`id-${index}`, index + 50) === true) accepted++
      } catch (error) {
        expect(error).toBeInstanceOf(ReplayStoreFullError)
      }
    }
    expect(accepted).toBe(10_000) // expiry keeps pace: nothing refused
  })

  it.each([0, -1, 1.5, Number.NaN, '10'])('refuses max %s', (max) => {
    expect(() => createMemoryReplayStore({ max: max as number })).toThrow(/"max" option/)
  })
})
