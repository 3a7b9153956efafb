import { describe, expect, it } from 'vitest'
import { asksForNewToken, parseChallenges } from '../src/www-authenticate.js'

describe('parseChallenges', () => {
  it.each([
    ['Bearer', [{ scheme: 'Bearer', params: {} }]],
    ['Bearer realm="api"', [{ scheme: 'Bearer', params: { realm: 'api' } }]],
    [
      'Bearer realm="api", error="invalid_token", error_description="expired, \\"really\\""',
      [
        {
          scheme: 'Bearer',
          params: { realm: 'api', error: 'invalid_token', error_description: 'expired, "really"' },
        },
      ],
    ],
    ['bearer ERROR=invalid_token', [{ scheme: 'bearer', params: { error: 'invalid_token' } }]],
    [
      'Basic realm="x", Bearer error="insufficient_scope", scope="a b"',
      [
        { scheme: 'Basic', params: { realm: 'x' } },
        { scheme: 'Bearer', params: { error: 'insufficient_scope', scope: 'a b' } },
      ],
    ],
    [
      'DPoP algs="ES256", Bearer error = "invalid_token"',
      [
        { scheme: 'DPoP', params: { algs: 'ES256' } },
        { scheme: 'Bearer', params: { error: 'invalid_token' } },
      ],
    ],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected)
  })

  it.each(['', ',,,', '"', 'Bearer error="unterminated', '=', 'Negotiate abc==, Bearer'])(
    'survives %j',
    (header) => {
      expect(() => parseChallenges(header)).not.toThrow()
    },
  )
})

describe('asksForNewToken', () => {
  const response = (status: number, challenge?: string) =>
    new Response(null, { status, headers: challenge === undefined ? {} : { 'www-authenticate': challenge } })

  it.each<[number, string | undefined, boolean]>([
    [401, 'Bearer error="invalid_token"', true],
    [401, 'Bearer realm="api"', true],
    [401, undefined, true],
    [401, 'Basic realm="x", Bearer error="invalid_token"', true],
    [401, 'Bearer error="invalid_request"', false],
    [401, 'Bearer error="insufficient_scope"', false],
    [401, 'Basic realm="x"', false],
    [403, 'Bearer error="invalid_token"', false],
    [403, 'Bearer error="insufficient_scope"', false],
    [503, undefined, false],
    [200, undefined, false],
  ])('%i %s → %s', (status, challenge, expected) => {
    expect(asksForNewToken(response(status, challenge))).toBe(expected)
  })
})
