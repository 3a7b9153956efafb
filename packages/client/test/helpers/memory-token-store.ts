import type { StoredToken, TokenLock, TokenStore } from '@m2m-guard/client'

/** An in-memory TokenStore on an injected clock, as a Redis would behave, with its calls counted. */
export interface MemoryTokenStore extends TokenStore {
  tokens: Map<string, StoredToken>
  calls: string[]
  /** Resolves at the next `set` or lock release: what an instance waiting for a peer waits for. */
  changed(): Promise<void>
}

export function createMemoryTokenStore(now: () => number): MemoryTokenStore {
  const tokens = new Map<string, StoredToken>()
  const locks = new Map<string, number>()
  const calls: string[] = []
  let waiters: Array<() => void> = []
  const notify = () => {
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
  }
  return {
    tokens,
    calls,
    changed: () => new Promise((resolve) => waiters.push(resolve)),
    async get(key) {
      calls.push('get')
      const token = tokens.get(key)
      return token !== undefined && token.expiresAt > now() ? { ...token } : undefined
    },
    async set(key, token) {
      calls.push('set')
      tokens.set(key, { ...token })
      notify()
    },
    async lock(key, ttlMs): Promise<TokenLock | undefined> {
      calls.push('lock')
      const held = locks.get(key)
      if (held !== undefined && held > now()) return undefined
      const until = now() + ttlMs
      locks.set(key, until)
      return {
        release: async () => {
          calls.push('release')
          if (locks.get(key) === until) locks.delete(key)
          notify()
        },
      }
    },
  }
}
