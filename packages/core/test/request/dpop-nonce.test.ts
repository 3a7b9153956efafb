import { describe, expect, it } from 'vitest'
import { createDpopNonces } from '../../src/request/dpop-nonce.js'

const SECRET = 'a secret of at least thirty-two bytes, shared by the fleet'

function nonces(start = 1_900_000_000_000, secret: string | Uint8Array = SECRET) {
  let now = start
  const source = createDpopNonces({ secret, window: 60, clock: () => now })
  return { source, advance: (ms: number) => (now += ms) }
}

describe('stateless DPoP nonces', () => {
  it('accepts the current nonce, and a second instance sharing the secret does too', () => {
    const { source } = nonces()
    const nonce = source.current()
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(source.check(nonce)).toBe(true)
    expect(nonces().source.check(nonce)).toBe(true)
  })

  it('keeps one nonce for a window, accepts it through the next window, then refuses it', () => {
    const { source, advance } = nonces(1_900_000_020_000)
    const nonce = source.current()
    advance(30_000)
    expect(source.current()).toBe(nonce)
    advance(60_000) // next window
    expect(source.current()).not.toBe(nonce)
    expect(source.check(nonce)).toBe(true)
    advance(60_000) // two windows on
    expect(source.check(nonce)).toBe(false)
  })

  it('tells the window a nonce was issued in: current, previous (ageing out), or neither', () => {
    const { source, advance } = nonces(1_900_000_020_000)
    const nonce = source.current()
    expect(source.age(nonce)).toBe('current')
    advance(60_000)
    expect(source.age(nonce)).toBe('previous')
    expect(source.age(source.current())).toBe('current')
    advance(60_000)
    expect(source.age(nonce)).toBeUndefined()
    expect(source.age('A'.repeat(22))).toBeUndefined()
  })

  it('refuses nonces of another secret, from the future, and malformed ones', () => {
    const { source, advance } = nonces()
    expect(source.check(nonces(1_900_000_000_000, `${SECRET}!`).source.current())).toBe(false)
    const future = nonces(1_900_000_000_000 + 120_000).source.current()
    expect(source.check(future)).toBe(false)
    advance(120_000)
    expect(source.check(future)).toBe(true)
    for (const bad of [undefined, null, 42, '', 'short', `${source.current()}A`, 'A'.repeat(22), {}, ['x']]) {
      expect(source.check(bad)).toBe(false)
    }
  })

  it('refuses a non-canonical spelling of a valid nonce', () => {
    const { source } = nonces()
    const nonce = source.current()
    // 22 characters carry 132 bits for 128: the last character's low bits are unused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(nonce.charAt(21))
    const sibling = `${nonce.slice(0, 21)}${alphabet.charAt(last ^ 1)}`
    expect(Buffer.from(sibling, 'base64url').equals(Buffer.from(nonce, 'base64url'))).toBe(true)
    expect(source.check(sibling)).toBe(false)
    expect(source.check(nonce)).toBe(true)
  })

  it('takes the secret as bytes too', () => {
    const bytes = new TextEncoder().encode(SECRET)
    expect(nonces(1_900_000_000_000, bytes).source.current()).toBe(nonces().source.current())
  })
})
