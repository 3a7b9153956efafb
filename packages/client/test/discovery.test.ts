import { createTokenClient } from '@m2m-guard/client'
import { afterEach, describe, expect, it } from 'vitest'
import { metadataUrls } from '../src/discovery.js'
import { createFakeClock } from './helpers/clock.js'
import type { Scripted } from './helpers/http-server.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint | undefined
afterEach(() => server?.close())

type Metadata = Record<string, Scripted | (() => Scripted)>

async function serve(metadata: (url: string) => Metadata) {
  // The metadata names the server's own URL, which is only known once it listens.
  const paths: Metadata = {}
  server = await startTokenEndpoint({ metadata: paths })
  Object.assign(paths, metadata(server.url))
  return server
}

function client(issuer: string, extra: { retries?: number } = {}) {
  const clock = createFakeClock()
  return createTokenClient({
    issuer,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: clock.now,
    sleep: clock.sleep,
    retry: { retries: extra.retries ?? 0, minDelay: 1, maxDelay: 2 },
  })
}

describe('metadataUrls', () => {
  it('inserts the RFC 8414 well-known segment before the path, then appends the OpenID one', () => {
    expect(metadataUrls('https://auth.example.com')).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ])
    expect(metadataUrls('https://auth.example.com/tenants/a/')).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenants/a',
      'https://auth.example.com/tenants/a/.well-known/openid-configuration',
    ])
  })
})

describe('discovery from issuer', () => {
  it('finds the token endpoint in RFC 8414 metadata, once', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server/tenant': {
        body: { issuer: `${url}/tenant`, token_endpoint: `${url}/token` },
      },
    }))
    const c = client(`${s.url}/tenant`)
    expect(await c.getToken()).toBe('token-1')
    c.invalidate()
    expect(await c.getToken()).toBe('token-2')
    expect(s.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server/tenant',
      '/token',
      '/token',
    ])
  })

  it('falls back to OpenID Connect discovery', async () => {
    const s = await serve((url) => ({
      '/.well-known/openid-configuration': { body: { issuer: url, token_endpoint: `${url}/token` } },
    }))
    expect(await client(s.url).getToken()).toBe('token-1')
    expect(s.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/token',
    ])
  })

  it('refuses metadata that names another issuer', async () => {
    const s = await serve(() => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: 'https://evil.example.com', token_endpoint: 'https://evil.example.com/token' },
      },
    }))
    await expect(client(s.url, { retries: 3 }).getToken()).rejects.toMatchObject({
      name: 'TokenRequestError',
      reason: 'discovery_failed',
      retryable: false,
      message: expect.stringContaining('different issuer'),
    })
    expect(s.tokenRequests).toHaveLength(0)
    expect(s.requests).toHaveLength(1)
  })

  it('compares the issuer exactly (a trailing slash matters)', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: `${url}/`, token_endpoint: `${url}/token` },
      },
    }))
    await expect(client(s.url).getToken()).rejects.toMatchObject({ reason: 'discovery_failed' })
  })

  it.each([
    ['no token_endpoint', {}],
    ['a relative token_endpoint', { token_endpoint: '/token' }],
    ['a non-http token_endpoint', { token_endpoint: 'javascript:alert(1)' }],
  ])('refuses metadata with %s', async (_, fields) => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': { body: { issuer: url, ...fields } },
    }))
    await expect(client(s.url).getToken()).rejects.toMatchObject({
      reason: 'discovery_failed',
      retryable: false,
    })
  })

  it('fails when neither location has metadata', async () => {
    const s = await serve(() => ({}))
    await expect(client(s.url).getToken()).rejects.toMatchObject({
      reason: 'discovery_failed',
      status: 404,
      message: expect.stringContaining('no authorization server metadata'),
    })
  })

  it('retries a metadata endpoint that answers 503, and does not remember the failure', async () => {
    let calls = 0
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': () => {
        calls++
        return calls === 1
          ? { status: 503, headers: { 'retry-after': '0' } }
          : { body: { issuer: url, token_endpoint: `${url}/token` } }
      },
    }))
    expect(await client(s.url, { retries: 1 }).getToken()).toBe('token-1')
    expect(calls).toBe(2)
  })
})
