import { describe, expect, it } from 'vitest'
import { normaliseHtu } from '../../src/request/dpop-htu.js'

describe('normaliseHtu (RFC 3986 §6.2.2, §6.2.3)', () => {
  it.each([
    ['scheme and host case', 'HTTPS://Orders.Example.COM/v1/orders', 'https://orders.example.com/v1/orders'],
    ['default https port', 'https://orders.example.com:443/orders', 'https://orders.example.com/orders'],
    ['default http port', 'http://127.0.0.1:80/orders', 'http://127.0.0.1/orders'],
    ['other ports kept', 'https://orders.example.com:8443/orders', 'https://orders.example.com:8443/orders'],
    ['query and fragment dropped', 'https://a.example/orders?page=2&x=%7e#top', 'https://a.example/orders'],
    ['empty path is /', 'https://a.example', 'https://a.example/'],
    ['percent-encoding hex upper-cased', 'https://a.example/a%2fb%c3%a9', 'https://a.example/a%2Fb%C3%A9'],
    [
      'unreserved characters decoded',
      'https://a.example/%7Euser/%41%2D%5F%2E',
      'https://a.example/~user/A-_.',
    ],
    ['dot segments removed', 'https://a.example/a/./b/../c', 'https://a.example/a/c'],
    ['IPv6 host', 'https://[::1]:443/x', 'https://[::1]/x'],
  ])('%s', (_name, input, expected) => {
    expect(normaliseHtu(input)).toBe(expected)
  })

  it('keeps path case (paths are case-sensitive)', () => {
    expect(normaliseHtu('https://a.example/Orders')).not.toBe(normaliseHtu('https://a.example/orders'))
  })

  it('keeps reserved percent-encodings apart from their characters', () => {
    expect(normaliseHtu('https://a.example/a%2Fb')).not.toBe(normaliseHtu('https://a.example/a/b'))
  })

  it.each([
    ['relative', '/orders'],
    ['not http', 'ftp://a.example/x'],
    ['userinfo', 'https://user:pass@a.example/x'],
    ['garbage', 'http://'],
    ['too long', `https://a.example/${'a'.repeat(9000)}`],
  ])('refuses %s URLs', (_name, input) => {
    expect(normaliseHtu(input)).toBeUndefined()
  })

  it('answers each URL for itself when URLs alternate (it remembers the last one)', () => {
    const sequence = [
      ['HTTPS://A.example/x', 'https://a.example/x'],
      ['HTTPS://A.example/x', 'https://a.example/x'],
      ['ftp://a.example/x', undefined],
      ['ftp://a.example/x', undefined],
      ['https://b.example/%7ey', 'https://b.example/~y'],
      ['HTTPS://A.example/x', 'https://a.example/x'],
    ] as const
    for (const [input, expected] of sequence) expect(normaliseHtu(input)).toBe(expected)
  })

  it('refuses non-strings without throwing', () => {
    expect(normaliseHtu(42 as unknown as string)).toBeUndefined()
  })
})
