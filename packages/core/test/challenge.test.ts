import { describe, expect, it } from 'vitest'
import { formatChallenge, isScopeToken, toQuotable } from '../src/challenge.js'
import { InvalidTokenError, KeysUnavailableError } from '../src/errors.js'

describe('formatChallenge', () => {
  it('is a bare "Bearer" without attributes (RFC 6750 §3.1: no error when no credentials)', () => {
    expect(formatChallenge({})).toBe('Bearer')
  })

  it('writes realm, error, error_description and scope in that order', () => {
    expect(
      formatChallenge({
        realm: 'orders',
        error: 'insufficient_scope',
        errorDescription: 'need more',
        scope: 'a b',
      }),
    ).toBe('Bearer realm="orders", error="insufficient_scope", error_description="need more", scope="a b"')
  })

  it('keeps values to the RFC 6750 character set, so no input can break the header', () => {
    const header = formatChallenge({
      error: 'invalid_token',
      errorDescription: 'a"b\\c\r\nSet-Cookie: x=1\u00e9',
    })
    expect(header).toBe('Bearer error="invalid_token", error_description="a b c  Set-Cookie: x=1 "')
    expect(header).not.toMatch(/[\r\n]/)
  })
})

describe('scope tokens', () => {
  it('accepts printable ASCII without space, quote and backslash', () => {
    expect(isScopeToken('orders:read')).toBe(true)
    expect(isScopeToken('https://api.example.com/orders.read')).toBe(true)
    for (const bad of ['', 'a b', 'a"b', 'a\\b', 'é']) expect(isScopeToken(bad)).toBe(false)
  })

  it('toQuotable leaves allowed characters alone', () => {
    expect(toQuotable('token expired at 12:00 (UTC)!')).toBe('token expired at 12:00 (UTC)!')
  })
})

describe('AuthError.expose (http-errors convention)', () => {
  it('is true below 500 and false for 503s, whose message is for logs', () => {
    const refused = new InvalidTokenError({
      reason: 'token_expired',
      description: 'token expired',
      realm: undefined,
    })
    expect(refused.expose).toBe(true)
    const unavailable = new KeysUnavailableError({
      description: 'signing keys are unavailable',
      message: 'signing keys are unavailable: https://idp.internal:8443/jwks could not be fetched',
      retryAfter: 30,
    })
    expect(unavailable.expose).toBe(false)
    expect(unavailable.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'signing keys are unavailable',
    })
  })
})
