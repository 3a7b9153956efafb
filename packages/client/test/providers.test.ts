import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { type AuthServer, type AuthServerOptions, createAuthServer } from '@m2m-guard/testing'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'

// The token request each identity provider needs (as the README shows it), made by our client
// against the testing server imitating that provider (`flavor`): the client discovers the token
// endpoint from the issuer, sends the provider's parameters, and gets that provider's token.
const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3'
const PING_ENV = '0a7af83d-4ed7-4b2a-9f4e-4a6c8bcd8f11'

let server: AuthServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

// Every token request the client sends: where, and which form parameters.
interface Sent {
  path: string
  form: Record<string, string[]>
}

async function tokenFrom(
  flavor: AuthServerOptions,
  request: Omit<Partial<TokenClientOptions>, 'fetch'>,
): Promise<{ claims: JWTPayload; sent: Sent[]; issuer: string }> {
  server = await createAuthServer(flavor)
  const sent: Sent[] = []
  const recording: typeof fetch = (input, init) => {
    if (init?.method === 'POST') {
      const form: Record<string, string[]> = {}
      for (const [name, value] of new URLSearchParams(String(init.body))) {
        form[name] = [...(form[name] ?? []), value]
      }
      sent.push({ path: new URL(String(input)).pathname, form })
    }
    return fetch(input, init)
  }
  const client = createTokenClient({
    issuer: server.issuer,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    fetch: recording,
    ...request,
  } as TokenClientOptions)
  const token = await client.getToken()
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(server.jwksUri)), {
    issuer: server.issuer,
  })
  return { claims: payload, sent, issuer: server.issuer }
}

const client = (scopes: string[], audience?: string | string[]) => ({
  clientId: 'billing',
  clientSecret: 'billing-secret',
  scopes,
  ...(audience === undefined ? {} : { audience }),
})

describe('the token request each provider needs', () => {
  it('Auth0: audience = the API identifier; the issuer has a trailing slash', async () => {
    const { claims, sent, issuer } = await tokenFrom(
      {
        flavor: 'auth0',
        clients: [client(['read:orders'], ['https://orders.example.com', 'https://other'])],
      },
      { audience: 'https://orders.example.com', scope: 'read:orders' },
    )
    expect(issuer).toMatch(/\/$/)
    expect(sent).toEqual([
      {
        path: '/oauth/token',
        form: {
          grant_type: ['client_credentials'],
          scope: ['read:orders'],
          audience: ['https://orders.example.com'],
        },
      },
    ])
    expect(claims).toMatchObject({
      aud: 'https://orders.example.com',
      azp: 'billing',
      scope: 'read:orders',
      gty: 'client-credentials',
    })
  })

  it('Okta: a custom authorization server, /oauth2/{id}/v1/token, by discovery', async () => {
    const { claims, sent } = await tokenFrom(
      { flavor: 'okta', tenant: 'ausOrders1', clients: [client(['orders.read', 'orders.write'])] },
      { scope: ['orders.read'] },
    )
    expect(sent).toEqual([
      {
        path: '/oauth2/ausOrders1/v1/token',
        form: { grant_type: ['client_credentials'], scope: ['orders.read'] },
      },
    ])
    expect(claims).toMatchObject({ cid: 'billing', scp: ['orders.read'] })
  })

  it.each(['entra', 'entra-v1'] as const)(
    '%s: scope = <App ID URI>/.default, exactly one; permissions come as roles',
    async (flavor) => {
      const { claims, sent } = await tokenFrom(
        {
          flavor,
          tenant: ENTRA_TENANT,
          audience: ENTRA_API,
          clients: [client(['Orders.Read.All'], [`api://${ENTRA_API}`, ENTRA_API])],
        },
        { scope: `api://${ENTRA_API}/.default` },
      )
      expect(sent).toHaveLength(1)
      expect(sent[0]?.path).toBe(
        flavor === 'entra' ? `/${ENTRA_TENANT}/oauth2/v2.0/token` : `/${ENTRA_TENANT}/oauth2/token`,
      )
      expect(sent[0]?.form).toEqual({
        grant_type: ['client_credentials'],
        scope: [`api://${ENTRA_API}/.default`],
      })
      expect(claims).toMatchObject({ roles: ['Orders.Read.All'], tid: ENTRA_TENANT })
      expect(claims[flavor === 'entra' ? 'azp' : 'appid']).toBe('billing')
    },
  )

  it('Entra refuses anything but one /.default scope (so the client must send it so)', async () => {
    await expect(
      tokenFrom(
        {
          flavor: 'entra',
          tenant: ENTRA_TENANT,
          audience: ENTRA_API,
          clients: [client(['Orders.Read.All'])],
        },
        { scope: 'Orders.Read.All' },
      ),
    ).rejects.toMatchObject({ error: 'invalid_scope', status: 400 })
  })

  it('Cognito: scope = <resource server>/<scope>; the token has no aud', async () => {
    const { claims, sent } = await tokenFrom(
      { flavor: 'cognito', tenant: 'eu-west-1_AbC123', clients: [client(['orders/read', 'orders/write'])] },
      { scope: 'orders/read orders/write' },
    )
    expect(sent).toEqual([
      {
        path: '/oauth2/token',
        form: { grant_type: ['client_credentials'], scope: ['orders/read orders/write'] },
      },
    ])
    expect(claims).toMatchObject({
      client_id: 'billing',
      scope: 'orders/read orders/write',
      token_use: 'access',
    })
    expect(claims.aud).toBeUndefined()
  })

  it('Keycloak: the realm issuer, /protocol/openid-connect/token', async () => {
    const { claims, sent } = await tokenFrom(
      { flavor: 'keycloak', tenant: 'acme', clients: [client(['orders:read'], 'orders-api')] },
      { scope: 'orders:read' },
    )
    expect(sent).toEqual([
      {
        path: '/realms/acme/protocol/openid-connect/token',
        form: { grant_type: ['client_credentials'], scope: ['orders:read'] },
      },
    ])
    expect(claims).toMatchObject({ azp: 'billing', aud: 'orders-api' })
    expect(String(claims.scope).split(' ')).toContain('orders:read')
  })

  it('PingOne: resource = the API; /{environment}/as/token', async () => {
    const { claims, sent } = await tokenFrom(
      {
        flavor: 'pingone',
        tenant: PING_ENV,
        clients: [client(['orders:read'], ['https://api.example.com', 'https://orders.example.com'])],
      },
      { scope: 'orders:read', resource: 'https://orders.example.com' },
    )
    expect(sent).toEqual([
      {
        path: `/${PING_ENV}/as/token`,
        form: {
          grant_type: ['client_credentials'],
          scope: ['orders:read'],
          resource: ['https://orders.example.com'],
        },
      },
    ])
    expect(claims).toMatchObject({
      client_id: 'billing',
      aud: 'https://orders.example.com',
      scope: 'orders:read',
    })
  })
})
