import {
  type AuthServer,
  type AuthServerOptions,
  type CannedResponse,
  createAuthServer,
  type Endpoint,
  type Fault,
  type FlavorName,
  type KeyInfo,
  type MintOptions,
  type RegisteredClient,
  type RequestCounts,
  type TlsClientAuth,
} from '@m2m-guard/testing'
import type { CryptoKey, JWK } from 'jose'
import { describe, expectTypeOf, it } from 'vitest'

describe('public types', () => {
  it('flavor names the providers the server imitates', () => {
    expectTypeOf<AuthServerOptions['flavor']>().toEqualTypeOf<FlavorName | undefined>()
    expectTypeOf<FlavorName>().toEqualTypeOf<
      'auth0' | 'okta' | 'entra' | 'entra-v1' | 'cognito' | 'keycloak' | 'pingone'
    >()
    expectTypeOf<AuthServer['flavor']>().toEqualTypeOf<FlavorName | undefined>()
    expectTypeOf<AuthServer['tenant']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<AuthServer['audience']>().toEqualTypeOf<string>()
  })

  it('createAuthServer takes optional options and resolves to an AuthServer', () => {
    expectTypeOf(createAuthServer).parameter(0).toEqualTypeOf<AuthServerOptions | undefined>()
    expectTypeOf(createAuthServer).returns.resolves.toEqualTypeOf<AuthServer>()
    expectTypeOf<AuthServerOptions['algorithm']>().toEqualTypeOf<
      | 'RS256'
      | 'RS384'
      | 'RS512'
      | 'PS256'
      | 'PS384'
      | 'PS512'
      | 'ES256'
      | 'ES384'
      | 'ES512'
      | 'EdDSA'
      | undefined
    >()
    // @ts-expect-error HS256 is not a signing algorithm of the server
    const options: AuthServerOptions = { algorithm: 'HS256' }
    void options
  })

  it('RegisteredClient has the documented fields', () => {
    expectTypeOf<RegisteredClient>().toEqualTypeOf<{
      clientId: string
      clientSecret?: string
      jwks?: { keys: JWK[] }
      scopes: string[]
      audience?: string | string[]
      tokenLifetime?: number
      tlsClientAuth?: TlsClientAuth
      selfSignedCertificate?: string
    }>()
  })

  it('AuthServer exposes URLs, keys, counters and methods', () => {
    expectTypeOf<AuthServer['issuer']>().toEqualTypeOf<string>()
    expectTypeOf<AuthServer['jwksUri']>().toEqualTypeOf<string>()
    expectTypeOf<AuthServer['tokenEndpoint']>().toEqualTypeOf<string>()
    expectTypeOf<AuthServer['keys']['current']>().toEqualTypeOf<KeyInfo>()
    expectTypeOf<AuthServer['keys']['jwks']>().toEqualTypeOf<{ keys: JWK[] }>()
    expectTypeOf<AuthServer['requests']>().toEqualTypeOf<RequestCounts>()
    expectTypeOf<RequestCounts>().toEqualTypeOf<{
      readonly jwks: number
      readonly metadata: number
      readonly token: number
    }>()
    expectTypeOf<AuthServer['mint']>().returns.resolves.toBeString()
    expectTypeOf<AuthServer['close']>().returns.resolves.toBeVoid()
    expectTypeOf<AuthServer['rotateKeys']>().returns.resolves.toEqualTypeOf<KeyInfo>()
    expectTypeOf<AuthServer['addSecret']>().toEqualTypeOf<(clientId: string, secret: string) => void>()
    expectTypeOf<AuthServer['revokeSecret']>().toEqualTypeOf<(clientId: string, secret: string) => boolean>()
    expectTypeOf<AuthServer['addKey']>().toEqualTypeOf<(clientId: string, key: JWK) => void>()
    expectTypeOf<AuthServer['revokeKey']>().toEqualTypeOf<(clientId: string, kid: string) => boolean>()
    expectTypeOf<AuthServer['dpopNonce']>().toEqualTypeOf<string | undefined>()
  })

  it('mint options accept the documented key choices and nulls', () => {
    expectTypeOf<{ key: 'foreign'; kid: null; typ: null }>().toMatchTypeOf<MintOptions>()
    expectTypeOf<{ key: CryptoKey; alg: 'ES256' }>().toMatchTypeOf<MintOptions>()
    expectTypeOf<{ omit: ['exp']; expiresIn: -60; header: { jku: string } }>().toMatchTypeOf<MintOptions>()
    expectTypeOf<{ key: 'other' }>().not.toMatchTypeOf<MintOptions>()
  })

  it('faults and canned responses are typed per endpoint', () => {
    expectTypeOf<Endpoint>().toEqualTypeOf<'jwks' | 'metadata' | 'token'>()
    expectTypeOf<'hang'>().toMatchTypeOf<Fault>()
    expectTypeOf<'melt'>().not.toMatchTypeOf<Fault>()
    expectTypeOf<{ status: 429; headers: { 'retry-after': '1' } }>().toMatchTypeOf<CannedResponse>()
    expectTypeOf<AuthServer['setFault']>().parameter(1).toEqualTypeOf<Fault | CannedResponse | null>()
  })
})
