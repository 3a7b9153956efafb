import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }

describe('token endpoint: issuing', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({
      tokenLifetime: 600,
      clients: [
        { clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read', 'orders:write'] },
        {
          clientId: 'reports',
          clientSecret: 'p@ss+word:with%odd chars',
          scopes: ['reports:read'],
          audience: ['https://reports.example', 'https://archive.example'],
          tokenLifetime: 60,
        },
      ],
    })
  })
  afterAll(() => server.close())

  async function verify(token: string) {
    const jwks = createLocalJWKSet((await (await fetch(server.jwksUri)).json()) as JSONWebKeySet)
    return jwtVerify(token, jwks, { issuer: server.issuer, typ: 'at+jwt' })
  }

  it('issues an RFC 9068 token with client_secret_basic', async () => {
    const { status, headers, body } = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 's3cret'),
    })
    expect(status).toBe(200)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'orders:read orders:write',
    })
    const { payload, protectedHeader } = await verify(body.access_token as string)
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: server.keys.current.kid })
    expect(payload).toEqual({
      iss: server.issuer,
      sub: 'billing',
      client_id: 'billing',
      aud: 'https://api.example',
      scope: 'orders:read orders:write',
      iat: expect.any(Number),
      exp: (payload.iat as number) + 600,
      jti: expect.any(String),
    })
  })

  it('issues with client_secret_post', async () => {
    const { status, body } = await postToken(server.tokenEndpoint, {
      ...GRANT,
      client_id: 'billing',
      client_secret: 's3cret',
    })
    expect(status).toBe(200)
    expect((await verify(body.access_token as string)).payload.client_id).toBe('billing')
  })

  it('form-decodes Basic credentials (RFC 6749 §2.3.1)', async () => {
    const { status, body } = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('reports', 'p@ss+word:with%odd chars'),
    })
    expect(status).toBe(200)
    expect(body.expires_in).toBe(60)
    // The raw secret, not form-encoded, does not match: '+' would mean a space.
    const raw = `Basic ${Buffer.from('reports:p@ss+word:with%odd chars').toString('base64')}`
    expect((await postToken(server.tokenEndpoint, GRANT, { authorization: raw })).status).toBe(401)
  })

  it('gives every token a fresh jti', async () => {
    const auth = { authorization: basic('billing', 's3cret') }
    const first = await postToken(server.tokenEndpoint, GRANT, auth)
    const second = await postToken(server.tokenEndpoint, GRANT, auth)
    const jti = async (answer: typeof first) => (await verify(answer.body.access_token as string)).payload.jti
    expect(await jti(first)).not.toBe(await jti(second))
  })

  it('narrows scope to the requested allowed scopes', async () => {
    const { status, body } = await postToken(
      server.tokenEndpoint,
      { ...GRANT, scope: 'orders:read  orders:read' },
      { authorization: basic('billing', 's3cret') },
    )
    expect(status).toBe(200)
    expect(body.scope).toBe('orders:read')
    expect((await verify(body.access_token as string)).payload.scope).toBe('orders:read')
  })

  it('defaults aud to the client first audience and honours audience and resource', async () => {
    const auth = { authorization: basic('reports', 'p@ss+word:with%odd chars') }
    const aud = async (params: Record<string, string | string[]>) => {
      const { body } = await postToken(server.tokenEndpoint, { ...GRANT, ...params }, auth)
      return (await verify(body.access_token as string)).payload.aud
    }
    expect(await aud({})).toBe('https://reports.example')
    expect(await aud({ audience: 'https://archive.example' })).toBe('https://archive.example')
    expect(await aud({ resource: 'https://archive.example' })).toBe('https://archive.example')
    expect(await aud({ resource: ['https://reports.example', 'https://archive.example'] })).toEqual([
      'https://reports.example',
      'https://archive.example',
    ])
  })

  it('signs with the configured algorithm', async () => {
    for (const algorithm of ['PS256', 'ES256', 'ES384', 'EdDSA'] as const) {
      const other = await createAuthServer({
        algorithm,
        clients: [{ clientId: 'c', clientSecret: 's', scopes: [] }],
      })
      try {
        const { body } = await postToken(other.tokenEndpoint, GRANT, { authorization: basic('c', 's') })
        const token = body.access_token as string
        expect(decodeProtectedHeader(token).alg).toBe(algorithm)
        expect(body.scope).toBeUndefined()
        const jwks = createLocalJWKSet((await (await fetch(other.jwksUri)).json()) as JSONWebKeySet)
        await expect(jwtVerify(token, jwks, { issuer: other.issuer, typ: 'at+jwt' })).resolves.toBeTruthy()
      } finally {
        await other.close()
      }
    }
  })
})
