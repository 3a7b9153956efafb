import { generateKeyPairSync } from 'node:crypto'
import { createTokenClient, DEFAULTS, type TokenClientOptions } from '@m2m-guard/client'
import { describe, expect, it } from 'vitest'

const valid = {
  tokenEndpoint: 'https://auth.example.com/token',
  clientId: 'billing',
  clientSecret: 's3cr3t-value',
}

// Loosely typed on purpose: these are the mistakes a JavaScript caller (or `as any`) can make.
const create = (options: Record<string, unknown>) => () =>
  createTokenClient(options as unknown as TokenClientOptions)

describe('createTokenClient validates options eagerly', () => {
  it('accepts a minimal configuration and makes no request', () => {
    let calls = 0
    createTokenClient({ ...valid, fetch: async () => Promise.reject(new Error(`call ${++calls}`)) })
    expect(calls).toBe(0)
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no options', {}, /"tokenEndpoint" option or the "issuer"/],
    [
      'neither endpoint nor issuer',
      { clientId: 'a', clientSecret: 'b' },
      /"tokenEndpoint" option or the "issuer"/,
    ],
    [
      'both endpoint and issuer',
      { ...valid, issuer: 'https://auth.example.com' },
      /"tokenEndpoint" option or the "issuer"/,
    ],
    [
      'a relative tokenEndpoint',
      { ...valid, tokenEndpoint: '/token' },
      /"tokenEndpoint" option must be an absolute URL/,
    ],
    [
      'a non-http tokenEndpoint',
      { ...valid, tokenEndpoint: 'ftp://x/token' },
      /"tokenEndpoint" option must be an http/,
    ],
    [
      'a tokenEndpoint with a fragment',
      { ...valid, tokenEndpoint: 'https://x/token#a' },
      /"tokenEndpoint" option must not/,
    ],
    [
      'an issuer with a query',
      { ...valid, tokenEndpoint: undefined, issuer: 'https://x/?a=1' },
      /"issuer" option must not/,
    ],
    ['an empty clientId', { ...valid, clientId: '' }, /"clientId" option must be a non-empty string/],
    ['a numeric clientId', { ...valid, clientId: 42 }, /"clientId" option/],
    [
      'no clientSecret',
      { ...valid, clientSecret: undefined },
      /"clientSecret" option must be a non-empty string/,
    ],
    [
      'an unknown authMethod',
      { ...valid, authMethod: 'client_secret_jwt' },
      /"authMethod" option must be one of/,
    ],
    [
      'private_key_jwt without a key',
      { ...valid, clientSecret: undefined, authMethod: 'private_key_jwt' },
      /"privateKey" option is required/,
    ],
    [
      'private_key_jwt with a secret',
      { ...valid, authMethod: 'private_key_jwt' },
      /"clientSecret" option must not be set/,
    ],
    [
      'a key with client_secret_post',
      { ...valid, authMethod: 'client_secret_post', privateKey: {} },
      /"privateKey" option must not/,
    ],
    [
      'a scope with a bad character',
      { ...valid, scope: 'orders"read' },
      /"scope" option contains an invalid scope token/,
    ],
    ['a scope that is a number', { ...valid, scope: 7 }, /"scope" option must be a string or an array/],
    [
      'a scope list with a number',
      { ...valid, scope: ['a', 7] },
      /"scope" option must be a string or an array/,
    ],
    ['an empty audience', { ...valid, audience: '' }, /"audience" option/],
    ['a relative resource', { ...valid, resource: '/orders' }, /"resource" option must be absolute URIs/],
    [
      'a resource with a fragment',
      { ...valid, resource: ['https://a/#x'] },
      /"resource" option must be absolute URIs/,
    ],
    [
      'a negative renewBefore',
      { ...valid, renewBefore: -1 },
      /"renewBefore" option must be a non-negative finite number/,
    ],
    ['a zero timeout', { ...valid, timeout: 0 }, /"timeout" option must be a positive finite number/],
    ['a string timeout', { ...valid, timeout: '10s' }, /"timeout" option/],
    [
      'an infinite defaultLifetime',
      { ...valid, defaultLifetime: Number.POSITIVE_INFINITY },
      /"defaultLifetime" option/,
    ],
    ['a zero maxResponseSize', { ...valid, maxResponseSize: 0 }, /"maxResponseSize" option/],
    ['retry: true', { ...valid, retry: true }, /"retry" option must be an object or false/],
    [
      'fractional retries',
      { ...valid, retry: { retries: 1.5 } },
      /"retry.retries" option must be a non-negative integer/,
    ],
    [
      'maxDelay below minDelay',
      { ...valid, retry: { minDelay: 500, maxDelay: 100 } },
      /"retry.maxDelay" option must not be smaller/,
    ],
    ['a NaN maxElapsed', { ...valid, retry: { maxElapsed: Number.NaN } }, /"retry.maxElapsed" option/],
    ['a fetch that is not a function', { ...valid, fetch: 'fetch' }, /"fetch" option must be a function/],
    ['a clock that is not a function', { ...valid, clock: 0 }, /"clock" option must be a function/],
    ['an onEvent that is not a function', { ...valid, onEvent: {} }, /"onEvent" option must be a function/],
  ])('rejects %s', (_, options, message) => {
    expect(create(options)).toThrow(TypeError)
    expect(create(options)).toThrow(message)
  })

  it('never quotes the secret in a validation error', () => {
    const error = (() => {
      try {
        create({ ...valid, clientId: '', clientSecret: 'do-not-print-me' })()
      } catch (e) {
        return e
      }
    })()
    expect(String(error)).not.toContain('do-not-print-me')
  })

  it('has documented defaults', () => {
    expect(DEFAULTS).toEqual({
      renewBefore: 60_000,
      defaultLifetime: 300_000,
      timeout: 10_000,
      maxResponseSize: 65_536,
      retry: { retries: 3, minDelay: 100, maxDelay: 10_000, maxElapsed: 30_000 },
      storeOptions: { timeout: 1_000, lockTtl: 30_000, maxWait: 10_000 },
    })
    expect(Object.isFrozen(DEFAULTS)).toBe(true)
    expect(Object.isFrozen(DEFAULTS.storeOptions)).toBe(true)
  })
})

describe('private keys are validated at creation', () => {
  const base = { tokenEndpoint: valid.tokenEndpoint, clientId: 'billing' }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })

  it.each<[string, unknown, RegExp]>([
    ['a public JWK', ec.publicKey.export({ format: 'jwk' }), /"privateKey" option must be a private key/],
    ['a public KeyObject', ec.publicKey, /"privateKey" option must be a private key/],
    ['a symmetric JWK', { kty: 'oct', k: 'c2VjcmV0' }, /symmetric/],
    ['a string', 'PEM?', /"privateKey" option must be a private JWK, a KeyObject or a CryptoKey/],
    [
      'a broken JWK',
      { kty: 'EC', crv: 'P-256', d: 'AAAA' },
      /"privateKey" option is not a valid private JWK/,
    ],
    ['a small RSA key', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, /2048 bits/],
    ['an unknown algorithm', ec.privateKey, /"algorithm" option must be one of/],
    ['an algorithm that does not fit the key', rsa.privateKey, /"algorithm" option ES256 does not match/],
  ])('rejects %s', (name, privateKey, message) => {
    const algorithm =
      name === 'an unknown algorithm' ? 'HS256' : name.includes('does not fit') ? 'ES256' : undefined
    const options = { ...base, privateKey, ...(algorithm === undefined ? {} : { algorithm }) }
    expect(create(options)).toThrow(TypeError)
    expect(create(options)).toThrow(message)
  })

  it('infers private_key_jwt from privateKey', () => {
    expect(() => createTokenClient({ ...base, privateKey: ec.privateKey })).not.toThrow()
  })

  it('never quotes key material in a key error', () => {
    const jwk = ec.privateKey.export({ format: 'jwk' })
    const broken = { ...jwk, x: 'AAAA' }
    let message = ''
    try {
      createTokenClient({ ...base, privateKey: broken })
    } catch (e) {
      message = String(e)
    }
    expect(message).toMatch(/privateKey/)
    expect(message).not.toContain(jwk.d as string)
  })
})
