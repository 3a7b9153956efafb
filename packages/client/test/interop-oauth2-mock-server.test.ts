import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { OAuth2Server } from 'oauth2-mock-server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// Interop: a third-party authorization server from npm (oauth2-mock-server, express-based) parses
// our requests and issues the tokens, proving the client speaks standard OAuth 2.0 and not only
// the dialect of our own test server. The mock server accepts any client, so a hook checks the
// credentials it parsed, answering invalid_client as a real server would.
const CLIENT_ID = 'billing:eu west'
const CLIENT_SECRET = 'p@ss w/rd+%é'

let server: OAuth2Server
let issuer: string
let seen: Array<{ authorization: string | undefined; body: Record<string, unknown> }>

function credentialsFrom(authorization: string | undefined, body: Record<string, unknown>) {
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
  }
  return { id: body.client_id, secret: body.client_secret }
}

beforeEach(async () => {
  seen = []
  server = new OAuth2Server()
  await server.issuer.keys.generate('ES256')
  await server.start(0, '127.0.0.1')
  issuer = server.issuer.url as string
  server.service.on('beforeResponse', (response, req) => {
    const body = { ...(req.body as unknown as Record<string, unknown>) }
    seen.push({ authorization: req.headers.authorization, body })
    const { id, secret } = credentialsFrom(req.headers.authorization, body)
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) {
      response.statusCode = 401
      response.body = { error: 'invalid_client', error_description: 'client authentication failed' }
    }
  })
})
afterEach(() => server.stop())

const client = (options: Partial<TokenClientOptions> = {}) =>
  createTokenClient({
    tokenEndpoint: `${issuer}/token`,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: ['orders:read', 'orders:write'],
    ...options,
  } as TokenClientOptions)

async function verify(token: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer })
  return payload
}

describe('interop with oauth2-mock-server', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'gets a token with %s',
    async (authMethod) => {
      const token = await client({ authMethod }).getToken()
      const payload = await verify(token)
      expect(payload.scope).toBe('orders:read orders:write')
      expect(seen).toHaveLength(1)
      expect(seen[0]?.body.grant_type).toBe('client_credentials')
      if (authMethod === 'client_secret_post') {
        expect(seen[0]?.authorization).toBeUndefined()
        expect(seen[0]?.body.client_secret).toBe(CLIENT_SECRET)
      } else {
        expect(seen[0]?.body.client_secret).toBeUndefined()
      }
    },
  )

  it('discovers the token endpoint through OpenID Connect discovery', async () => {
    const token = await createTokenClient({
      issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    }).getToken()
    expect((await verify(token)).iss).toBe(issuer)
  })

  it('caches the token it got', async () => {
    const c = client()
    const [a, b] = await Promise.all([c.getToken(), c.getToken()])
    expect(a).toBe(b)
    expect(await c.getToken()).toBe(a)
    expect(seen).toHaveLength(1)
  })

  it('surfaces the server error of a refused client, without retrying', async () => {
    await expect(client({ clientSecret: 'wrong' }).getToken()).rejects.toMatchObject({
      name: 'TokenRequestError',
      error: 'invalid_client',
      errorDescription: 'client authentication failed',
      status: 401,
      attempts: 1,
    })
    expect(seen).toHaveLength(1)
  })
})
