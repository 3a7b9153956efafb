import { type AuthServer, createAuthServer, DPOP_ALGORITHMS } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('discovery and JWKS', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a', 'b'] }] })
  })
  afterAll(() => server.close())

  it('names its URLs from the issuer, without a trailing slash', () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.issuer).toBe(`http://127.0.0.1:${server.port}`)
    expect(server.jwksUri).toBe(`${server.issuer}/jwks`)
    expect(server.tokenEndpoint).toBe(`${server.issuer}/token`)
  })

  it.each([
    ['RFC 8414', '/.well-known/oauth-authorization-server'],
    ['OpenID', '/.well-known/openid-configuration'],
  ])('serves %s metadata', async (_name, path) => {
    const res = await fetch(`${server.issuer}${path}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({
      issuer: server.issuer,
      jwks_uri: server.jwksUri,
      token_endpoint: server.tokenEndpoint,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(['RS256', 'ES256', 'EdDSA']),
      scopes_supported: ['a', 'b'],
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    })
  })

  it('publishes a JWKS with public members only and a max-age', async () => {
    const res = await fetch(server.jwksUri)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] }
    expect(jwks.keys).toHaveLength(1)
    const [key] = jwks.keys
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use'])
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: server.keys.current.kid })
    expect(server.keys.jwks).toEqual(jwks)
  })

  it('answers HEAD on the JWKS without a body', async () => {
    const res = await fetch(server.jwksUri, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('answers unknown paths with a 404 JSON', async () => {
    for (const path of ['/', '/nope', '/jwks/', '/token/x', '/.well-known/oauth-authorization-server/x']) {
      const res = await fetch(`${server.issuer}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toMatchObject({ error: 'not_found' })
    }
  })

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await fetch(server.jwksUri, { method: 'POST', body: 'x' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })
})

describe('discovery with an issuer path', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ issuerPath: '/tenant-a', jwksMaxAge: 60 })
  })
  afterAll(() => server.close())

  it('puts the path in the issuer and endpoints', () => {
    expect(server.issuer).toBe(`http://127.0.0.1:${server.port}/tenant-a`)
    expect(server.jwksUri).toBe(`${server.issuer}/jwks`)
    expect(server.tokenEndpoint).toBe(`${server.issuer}/token`)
  })

  it('serves RFC 8414 metadata at the path-inserted location only', async () => {
    const origin = `http://127.0.0.1:${server.port}`
    expect(server.metadataUrl).toBe(`${origin}/.well-known/oauth-authorization-server/tenant-a`)
    const res = await fetch(server.metadataUrl)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ issuer: server.issuer, jwks_uri: server.jwksUri })
    // The appended form is what a client that ignores RFC 8414 §3.1 would try: it must miss.
    expect((await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).status).toBe(404)
    expect((await fetch(`${origin}/.well-known/oauth-authorization-server`)).status).toBe(404)
  })

  it('serves OpenID configuration appended to the issuer', async () => {
    expect(server.openidConfigurationUrl).toBe(`${server.issuer}/.well-known/openid-configuration`)
    const res = await fetch(server.openidConfigurationUrl)
    expect(await res.json()).toMatchObject({ issuer: server.issuer, token_endpoint: server.tokenEndpoint })
  })

  it('uses the configured JWKS max-age', async () => {
    const res = await fetch(server.jwksUri)
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
  })
})

describe('the Date header', () => {
  it("dates every answer by the server's clock, as an issuer whose clock reads that would", async () => {
    const frozen = Date.UTC(2031, 4, 6, 7, 8, 9)
    const server = await createAuthServer({
      clock: () => frozen,
      clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a'] }],
    })
    try {
      const discovery = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)
      const jwks = await fetch(server.jwksUri)
      const refused = await fetch(server.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=c&client_secret=wrong',
      })
      expect(refused.status).toBe(401)
      for (const res of [discovery, jwks, refused]) {
        expect(res.headers.get('date')).toBe('Tue, 06 May 2031 07:08:09 GMT')
      }
    } finally {
      await server.close()
    }
  })

  it('keeps the real time when the clock throws or reads no valid time, and keeps serving', async () => {
    let reading: () => number = Date.now
    const server = await createAuthServer({ clock: () => reading() })
    try {
      for (const broken of [
        () => {
          throw new Error('clock broke')
        },
        () => Number.NaN,
        () => 8.64e15 + 1, // past the last date a Date can hold
      ]) {
        reading = broken
        const before = Date.now()
        const res = await fetch(server.jwksUri)
        await res.arrayBuffer()
        const date = Date.parse(res.headers.get('date') ?? '')
        expect(Math.abs(date - before)).toBeLessThan(5_000)
      }
      reading = Date.now
      expect((await fetch(server.jwksUri)).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
