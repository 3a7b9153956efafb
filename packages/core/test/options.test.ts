import { describe, expect, it } from 'vitest'
import { createVerifier, type VerifierOptions } from '../src/index.js'

const base = { issuer: 'https://auth.example.com', audience: 'api' }

function creationError(options: unknown): string {
  try {
    createVerifier(options as VerifierOptions)
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return (error as Error).message
  }
  throw new Error('createVerifier accepted the options')
}

describe('createVerifier options', () => {
  it('accepts the minimal configuration and creates no network traffic', () => {
    let fetched = 0
    createVerifier({
      ...base,
      fetch: async () => {
        fetched++
        return new Response('{}')
      },
    })
    expect(fetched).toBe(0)
  })

  it.each<[string, unknown, RegExp]>([
    ['no options', undefined, /options must be an object/],
    ['missing issuer', { audience: 'api' }, /"issuer" option is required/],
    ['missing audience', { issuer: base.issuer }, /"audience" option is required/],
    ['empty audience list', { ...base, audience: [] }, /"audience" option must be a non-empty/],
    [
      'non-string audience',
      { ...base, audience: [42] },
      /"audience" option must contain only non-empty strings/,
    ],
    ['unknown option (a typo)', { ...base, audiences: ['x'] }, /unknown option "audiences"/],
    ['algorithm none', { ...base, algorithms: ['none'] }, /must not contain "none"/],
    ['algorithm NONE', { ...base, algorithms: ['RS256', 'NONE'] }, /must not contain "NONE"/],
    [
      'HS256 with public keys',
      { ...base, algorithms: ['HS256'] },
      /symmetric \(HS\*\) tokens are never accepted/,
    ],
    ['unknown algorithm', { ...base, algorithms: ['RS1'] }, /unsupported "RS1"/],
    ['empty algorithms', { ...base, algorithms: [] }, /"algorithms" option must be a non-empty array/],
    [
      'jwksUri not http(s)',
      { ...base, jwksUri: 'ftp://keys.example.com/jwks' },
      /"jwksUri" option must be an http\(s\) URL/,
    ],
    ['jwksUri not a URL', { ...base, jwksUri: 'keys' }, /"jwksUri" option must be an absolute http\(s\) URL/],
    [
      'jwksUri plain http off loopback',
      { ...base, jwksUri: 'http://idp.internal/jwks' },
      /plain http on a non-loopback host/,
    ],
    [
      'issuer plain http for discovery',
      { ...base, issuer: 'http://idp.internal' },
      /"issuer" option \(used for discovery\)/,
    ],
    [
      'both jwksUri and jwks',
      { ...base, jwksUri: 'https://a/jwks', jwks: { keys: [] } },
      /exclude each other/,
    ],
    ['jwks without keys', { ...base, jwks: {} }, /"jwks" option must be a JSON Web Key Set/],
    [
      'jwks with no usable key',
      { ...base, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      /no usable signing key/,
    ],
    [
      'several issuers, nothing to discover',
      { ...base, issuer: ['https://a', 'https://b'] },
      /with several issuers/,
    ],
    [
      'negative clockTolerance',
      { ...base, clockTolerance: -1 },
      /"clockTolerance" option must be a non-negative number/,
    ],
    ['NaN clockTolerance', { ...base, clockTolerance: Number.NaN }, /"clockTolerance"/],
    ['zero maxTokenAge', { ...base, maxTokenAge: 0 }, /"maxTokenAge" option must be a positive number/],
    ['requireTyp not boolean', { ...base, requireTyp: 'yes' }, /"requireTyp" option must be a boolean/],
    ['empty clientIdClaims', { ...base, clientIdClaims: [] }, /"clientIdClaims" option must be a non-empty/],
    ['realm with a quote', { ...base, realm: 'a"b' }, /"realm" option/],
    ['tokenCache zero', { ...base, tokenCache: 0 }, /"tokenCache" option must be a positive integer/],
    ['tokenCache true', { ...base, tokenCache: true }, /"tokenCache"/],
    [
      'jwksCache unknown field',
      { ...base, jwksCache: { maxage: 1 } },
      /"jwksCache" option has unknown field "maxage"/,
    ],
    [
      'jwksCache negative cooldown',
      { ...base, jwksCache: { cooldown: -5 } },
      /"jwksCache.cooldown" option must be an integer >= 0/,
    ],
    [
      'jwksCache zero timeout',
      { ...base, jwksCache: { timeout: 0 } },
      /"jwksCache.timeout" option must be an integer >= 1/,
    ],
    [
      'maxTokenLength fractional',
      { ...base, maxTokenLength: 1.5 },
      /"maxTokenLength" option must be a positive integer/,
    ],
    ['fetch not a function', { ...base, fetch: 'fetch' }, /"fetch" option must be a function/],
    ['onEvent not a function', { ...base, onEvent: {} }, /"onEvent" option must be a function/],
  ])('%s: TypeError naming the option', (_, options, message) => {
    expect(creationError(options)).toMatch(message)
  })

  it('allows plain http on loopback (local issuers) and elsewhere only when asked', () => {
    expect(() => createVerifier({ ...base, jwksUri: 'http://127.0.0.1:8080/jwks' })).not.toThrow()
    expect(() => createVerifier({ ...base, jwksUri: 'http://localhost:8080/jwks' })).not.toThrow()
    expect(() =>
      createVerifier({ ...base, jwksUri: 'http://idp.internal/jwks', allowInsecureHttp: true }),
    ).not.toThrow()
  })
})
