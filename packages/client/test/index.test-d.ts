import type { KeyObject } from 'node:crypto'
import {
  createTokenClient,
  type TokenClient,
  type TokenClientEvent,
  type TokenClientOptions,
  TokenRequestError,
  type TokenRequestFailure,
} from '@m2m-guard/client'
import { describe, expectTypeOf, it } from 'vitest'

declare const key: KeyObject

describe('public types', () => {
  it('createTokenClient returns a TokenClient', () => {
    const client = createTokenClient({ tokenEndpoint: 'https://a/token', clientId: 'c', clientSecret: 's' })
    expectTypeOf(client).toEqualTypeOf<TokenClient>()
    expectTypeOf(client.getToken).returns.toEqualTypeOf<Promise<string>>()
    expectTypeOf(client.fetch).toBeCallableWith('https://api/orders')
    expectTypeOf(client.fetch).toBeCallableWith(new URL('https://api/orders'), { method: 'POST', body: '{}' })
    expectTypeOf(client.fetch).toBeCallableWith(new Request('https://api/orders'))
    expectTypeOf(client.fetch).returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf(client.invalidate).toEqualTypeOf<(token?: string) => void>()
    expectTypeOf(client.authorizationHeaders('GET', 'https://api/orders')).toEqualTypeOf<
      Promise<{ authorization: string; dpop?: string }>
    >()
  })

  it('accepts each way of authenticating', () => {
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: 's',
      authMethod: 'client_secret_post',
      scope: ['a', 'b'],
      resource: 'https://api',
      audience: 'api',
    } as const).toExtend<TokenClientOptions>()
    expectTypeOf({ issuer: 'https://a', clientId: 'c', privateKey: key }).toExtend<TokenClientOptions>()
    expectTypeOf({
      tokenEndpoint: new URL('https://a/token'),
      clientId: 'c',
      privateKey: { kty: 'EC', crv: 'P-256', x: '', y: '', d: '' },
      authMethod: 'private_key_jwt',
      algorithm: 'ES256',
    } as const).toExtend<TokenClientOptions>()
  })

  it('accepts credentials as (async) functions, for rotation', () => {
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: async () => 's',
    }).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: () => 's',
    }).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      privateKey: async () => key,
    }).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: () => 7,
    }).not.toExtend<TokenClientOptions>()
  })

  it('accepts dpop and tls', () => {
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: 's',
      dpop: true,
    }).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      clientSecret: 's',
      dpop: { privateKey: key },
    }).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      authMethod: 'tls_client_auth',
      tls: { cert: 'pem', key: 'pem', ca: ['pem'] },
    } as const).toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      authMethod: 'tls_client_auth',
    } as const).not.toExtend<TokenClientOptions>()
    expectTypeOf({
      issuer: 'https://a',
      clientId: 'c',
      authMethod: 'self_signed_tls_client_auth',
      clientSecret: 's',
      tls: { cert: 'pem', key: 'pem' },
    } as const).not.toExtend<TokenClientOptions>()
  })

  it('refuses mixed credentials', () => {
    expectTypeOf({
      tokenEndpoint: 'x',
      clientId: 'c',
      clientSecret: 's',
      privateKey: key,
    }).not.toExtend<TokenClientOptions>()
    expectTypeOf({
      tokenEndpoint: 'x',
      clientId: 'c',
      privateKey: key,
      authMethod: 'client_secret_basic',
    } as const).not.toExtend<TokenClientOptions>()
    expectTypeOf({ tokenEndpoint: 'x', clientId: 'c' }).not.toExtend<TokenClientOptions>()
  })

  it('TokenRequestError exposes the server error', () => {
    const error = new TokenRequestError('x', { reason: 'oauth_error' })
    expectTypeOf(error).toExtend<Error>()
    expectTypeOf(error.error).toEqualTypeOf<string | undefined>()
    expectTypeOf(error.errorDescription).toEqualTypeOf<string | undefined>()
    expectTypeOf(error.status).toEqualTypeOf<number | undefined>()
    expectTypeOf(error.reason).toEqualTypeOf<TokenRequestFailure>()
  })

  it('events are a discriminated union', () => {
    const handle = (event: TokenClientEvent) => {
      if (event.type === 'token_request_failed')
        expectTypeOf(event.retryIn).toEqualTypeOf<number | undefined>()
      if (event.type === 'token_renewed') expectTypeOf(event.background).toEqualTypeOf<boolean>()
    }
    expectTypeOf(handle).toBeFunction()
  })
})
