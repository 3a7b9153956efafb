import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }

describe('token endpoint: refusals', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({
      clients: [
        {
          clientId: 'billing',
          clientSecret: 's3cret',
          scopes: ['orders:read'],
          audience: 'https://orders.example',
        },
      ],
    })
  })
  afterAll(() => server.close())

  const good = () => ({ authorization: basic('billing', 's3cret') })

  it.each([
    ['a wrong secret', basic('billing', 'wrong')],
    ['an unknown client', basic('nobody', 's3cret')],
    ['Basic without a colon', `Basic ${Buffer.from('billing').toString('base64')}`],
    ['Basic that is not base64', 'Basic !!!'],
    ['Basic with a bad percent-encoding', `Basic ${Buffer.from('billing:%zz').toString('base64')}`],
    ['another scheme', 'Bearer abc'],
  ])('refuses %s with invalid_client 401 and a Basic challenge', async (_case, authorization) => {
    const { status, headers, body } = await postToken(server.tokenEndpoint, GRANT, { authorization })
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_client')
    expect(headers.get('www-authenticate')).toMatch(/^Basic realm="/)
    expect(headers.get('cache-control')).toBe('no-store')
  })

  it('refuses a wrong client_secret_post without a challenge', async () => {
    const answer = await postToken(server.tokenEndpoint, {
      ...GRANT,
      client_id: 'billing',
      client_secret: 'x',
    })
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.headers.get('www-authenticate')).toBeNull()
  })

  it('refuses a request without client authentication', async () => {
    const answer = await postToken(server.tokenEndpoint, { ...GRANT, client_id: 'billing' })
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /)
  })

  it('refuses two authentication methods at once', async () => {
    const answer = await postToken(
      server.tokenEndpoint,
      { ...GRANT, client_id: 'billing', client_secret: 's3cret' },
      good(),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
  })

  it('refuses a client_id that contradicts the Basic credentials', async () => {
    const answer = await postToken(server.tokenEndpoint, { ...GRANT, client_id: 'other' }, good())
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
  })

  it('refuses a missing grant_type', async () => {
    const answer = await postToken(server.tokenEndpoint, { scope: 'orders:read' }, good())
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) })
  })

  it.each(['authorization_code', 'password', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])(
    'refuses grant_type=%s',
    async (grantType) => {
      const answer = await postToken(server.tokenEndpoint, { grant_type: grantType }, good())
      expect(answer.status).toBe(400)
      expect(answer.body.error).toBe('unsupported_grant_type')
    },
  )

  it('refuses a scope the client may not have', async () => {
    const answer = await postToken(server.tokenEndpoint, { ...GRANT, scope: 'orders:read admin' }, good())
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_scope')
    expect(answer.body.error_description).toContain('admin')
  })

  it.each([
    ['audience', { audience: 'https://api.example' }],
    ['resource', { resource: 'https://evil.example' }],
    ['one of several resources', { resource: ['https://orders.example', 'https://evil.example'] }],
  ])('refuses an audience the client may not have (%s)', async (_case, params) => {
    const answer = await postToken(server.tokenEndpoint, { ...GRANT, ...params }, good())
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_target')
  })

  it('refuses repeated parameters', async () => {
    const answer = await postToken(
      server.tokenEndpoint,
      'grant_type=client_credentials&scope=a&scope=b',
      good(),
    )
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
  })

  it('refuses a body that is not form-urlencoded', async () => {
    for (const contentType of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const answer = await postToken(server.tokenEndpoint, JSON.stringify(GRANT), {
        ...good(),
        'content-type': contentType,
      })
      expect(answer.status, contentType).toBe(400)
      expect(answer.body.error).toBe('invalid_request')
    }
  })

  it('accepts a charset parameter on the content type', async () => {
    const answer = await postToken(server.tokenEndpoint, GRANT, {
      ...good(),
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
    })
    expect(answer.status).toBe(200)
  })

  it('refuses an oversized body with 413 and keeps serving', async () => {
    const body = `grant_type=client_credentials&pad=${'x'.repeat(70 * 1024)}`
    const answer = await postToken(server.tokenEndpoint, body, good())
    expect(answer.status).toBe(413)
    expect(answer.body.error).toBe('invalid_request')
    expect((await postToken(server.tokenEndpoint, GRANT, good())).status).toBe(200)
  })

  it('answers GET on the token endpoint with 405', async () => {
    const res = await fetch(server.tokenEndpoint)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })
})
