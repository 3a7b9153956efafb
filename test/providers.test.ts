/**
 * Provider-shaped tokens through Express, Koa and Fastify, with one verifier holding
 * every provider's preset: tokens from the testing server's flavors (got with
 * @m2m-guard/client, making each provider's own token request) and hand-made tokens
 * with exactly the claims each provider documents. Each is accepted with the right
 * issuer, client id and scopes; each provider's common mistake is refused with the
 * right status and reason.
 */

import { createTokenClient } from '@m2m-guard/client'
import {
  auth0,
  cognito,
  createVerifier,
  entra,
  type IssuerProfile,
  keycloak,
  okta,
  pingone,
  type Verifier,
  type VerifierEvent,
} from '@m2m-guard/core'
import {
  type AuthServer,
  type AuthServerOptions,
  createAuthServer,
  type FlavorName,
} from '@m2m-guard/testing'
import type { JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ISSUER_SERVICES } from './support/issuer-services.js'
import {
  AUTH0,
  COGNITO,
  DOCUMENTED,
  ENTRA,
  KEYCLOAK,
  MISTAKES,
  OKTA,
  PINGONE,
  providerKeys,
  sign,
} from './support/provider-tokens.js'
import type { Service } from './support/services.js'

// Time is frozen: issuers sign and verifiers check at the same instant, every run.
const now = Date.now()
const nowSeconds = Math.floor(now / 1000)
const clock = () => now
const SECRET = 's3cret'
// Thirteen RSA keys are generated before the first test; on a loaded machine that takes seconds.
const HOOK_TIMEOUT = 60_000

/** A flavor of the testing server, the preset pointed at it, and what a token of it must say. */
interface FlavorRow {
  readonly flavor: FlavorName
  readonly options: AuthServerOptions
  /** The provider's own token request parameters. */
  readonly request: { scope?: string; audience?: string }
  profile(server: AuthServer): IssuerProfile
  readonly expect: { clientId: string; scopes: string[] }
}

const LOCAL_API = 'https://orders.example'
const ENTRA_LOCAL = {
  tenantId: '3c9f6e2a-1b4d-4e8f-9a0b-c1d2e3f4a5b6',
  api: 'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80',
}
const PING_LOCAL = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b'
// Keys come from the local server, not the provider's host.
const local = (server: AuthServer) => ({ issuer: server.issuer, jwksUri: server.jwksUri })

const FLAVORS: readonly FlavorRow[] = [
  {
    flavor: 'auth0',
    options: {
      audience: LOCAL_API,
      clients: [{ clientId: 'auth0-app', clientSecret: SECRET, scopes: ['read:orders'] }],
    },
    request: { audience: LOCAL_API },
    profile: (server) => ({
      ...auth0({ domain: 'local.auth0.test', audience: LOCAL_API }),
      ...local(server),
    }),
    expect: { clientId: 'auth0-app', scopes: ['read:orders'] },
  },
  {
    flavor: 'okta',
    options: {
      clients: [{ clientId: '0oaLocalOkta', clientSecret: SECRET, scopes: ['orders.read', 'orders.write'] }],
    },
    request: { scope: 'orders.read orders.write' },
    // The preset's own key location ({issuer}/v1/keys) is the flavor's: no override.
    profile: (server) => okta({ issuer: server.issuer, audience: 'api://default' }),
    expect: { clientId: '0oaLocalOkta', scopes: ['orders.read', 'orders.write'] },
  },
  {
    flavor: 'entra',
    options: {
      tenant: ENTRA_LOCAL.tenantId,
      audience: ENTRA_LOCAL.api,
      clients: [
        {
          clientId: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
          clientSecret: SECRET,
          scopes: ['Orders.Read.All'],
        },
      ],
    },
    request: { scope: `api://${ENTRA_LOCAL.api}/.default` },
    profile: (server) => ({
      ...entra({ tenantId: ENTRA_LOCAL.tenantId, audience: ENTRA_LOCAL.api }),
      ...local(server),
    }),
    expect: { clientId: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b', scopes: ['Orders.Read.All'] },
  },
  {
    flavor: 'entra-v1',
    options: {
      tenant: ENTRA_LOCAL.tenantId,
      audience: ENTRA_LOCAL.api,
      clients: [
        {
          clientId: 'a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d',
          clientSecret: SECRET,
          scopes: ['Orders.Read.All'],
        },
      ],
    },
    request: { scope: `api://${ENTRA_LOCAL.api}/.default` },
    profile: (server) => ({
      ...entra({ tenantId: ENTRA_LOCAL.tenantId, audience: [ENTRA_LOCAL.api, `api://${ENTRA_LOCAL.api}`] }),
      ...local(server),
    }),
    expect: { clientId: 'a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d', scopes: ['Orders.Read.All'] },
  },
  {
    flavor: 'cognito',
    options: {
      tenant: 'eu-west-1_LocalPool1',
      clients: [{ clientId: '3localcognitoclientid', clientSecret: SECRET, scopes: ['orders-api/read'] }],
    },
    request: { scope: 'orders-api/read' },
    profile: (server) => ({
      ...cognito({
        region: 'eu-west-1',
        userPoolId: 'eu-west-1_LocalPool1',
        clientIds: ['3localcognitoclientid'],
      }),
      ...local(server),
    }),
    expect: { clientId: '3localcognitoclientid', scopes: ['orders-api/read'] },
  },
  {
    flavor: 'keycloak',
    options: {
      tenant: 'acme',
      audience: 'orders-api',
      clients: [{ clientId: 'orders-batch', clientSecret: SECRET, scopes: ['orders.read'] }],
    },
    request: { scope: 'orders.read' },
    profile: (server) =>
      keycloak({ url: `http://127.0.0.1:${server.port}`, realm: 'acme', audience: 'orders-api' }),
    expect: { clientId: 'orders-batch', scopes: ['profile', 'email', 'orders.read'] },
  },
  {
    flavor: 'pingone',
    options: {
      tenant: PING_LOCAL,
      audience: LOCAL_API,
      clients: [
        { clientId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e', clientSecret: SECRET, scopes: ['orders:read'] },
      ],
    },
    request: { scope: 'orders:read' },
    profile: (server) => ({
      ...pingone({ environmentId: PING_LOCAL, audience: LOCAL_API }),
      ...local(server),
    }),
    expect: { clientId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e', scopes: ['orders:read'] },
  },
]

/** A preset profile with a local key set in place of the provider's key URL. */
function withLocalKeys(profile: IssuerProfile, key: JWK): IssuerProfile {
  const { jwksUri: _providerKeys, ...rest } = profile
  return { ...rest, jwks: { keys: [key] } }
}

let servers: Map<FlavorName, AuthServer>
let profiles: IssuerProfile[]
let keys: Awaited<ReturnType<typeof providerKeys>>

beforeAll(async () => {
  const started = await Promise.all(
    FLAVORS.map(
      async (row) =>
        [row.flavor, await createAuthServer({ ...row.options, flavor: row.flavor, clock })] as const,
    ),
  )
  servers = new Map(started)
  keys = await providerKeys()
  profiles = [
    ...FLAVORS.map((row) => row.profile(servers.get(row.flavor) as AuthServer)),
    withLocalKeys(auth0(AUTH0), keys.auth0.publicJwk),
    withLocalKeys(okta(OKTA), keys.okta.publicJwk),
    withLocalKeys(
      entra({ tenantId: ENTRA.tenantId, audience: [ENTRA.api, `api://${ENTRA.api}`] }),
      keys.entra.publicJwk,
    ),
    withLocalKeys(
      cognito({ region: COGNITO.region, userPoolId: COGNITO.userPoolId, clientIds: [COGNITO.clientId] }),
      keys.cognito.publicJwk,
    ),
    withLocalKeys(keycloak(KEYCLOAK), keys.keycloak.publicJwk),
    withLocalKeys(
      pingone({ environmentId: PINGONE.environmentId, audience: PINGONE.audience }),
      keys.pingone.publicJwk,
    ),
  ]
}, HOOK_TIMEOUT)
afterAll(() => Promise.all([...servers.values()].map((server) => server.close())))

describe.each(ISSUER_SERVICES)('$name', (target) => {
  let service: Service
  let verifier: Verifier
  const rejections: Extract<VerifierEvent, { type: 'token_rejected' }>[] = []
  beforeAll(async () => {
    // A fresh verifier per adapter: every adapter starts with cold key sets.
    verifier = createVerifier({
      issuers: profiles,
      clock,
      onEvent: (event) => {
        if (event.type === 'token_rejected') rejections.push(event)
      },
    })
    service = await target.start(verifier, {
      '/whoami': undefined,
      '/own-only': { issuers: [servers.get('okta')?.issuer as string] },
    })
  })
  afterAll(() => service.close())

  const call = (path: string, token: string) =>
    fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } })

  it.each(FLAVORS)(
    'accepts a token of the $flavor flavor, got with the provider’s token request',
    async (row) => {
      const server = servers.get(row.flavor) as AuthServer
      const client = createTokenClient({
        issuer: server.issuer,
        clientId: row.expect.clientId,
        clientSecret: SECRET,
        ...row.request,
      })
      const token = await client.getToken()
      const response = await call('/whoami', token)
      expect(response.status).toBe(200)
      const body = (await response.json()) as { issuer: string; clientId: string; scopes: string[] }
      expect({ ...body, scopes: [...body.scopes].sort() }).toEqual({
        issuer: server.issuer,
        clientId: row.expect.clientId,
        scopes: [...row.expect.scopes].sort(),
      })
    },
  )

  it.each(DOCUMENTED)('accepts a hand-made token as documented: $name', async (token) => {
    const response = await call('/whoami', await sign(token, keys, nowSeconds))
    expect(response.status).toBe(200)
    const body = (await response.json()) as { issuer: string; clientId: string; scopes: string[] }
    expect({ ...body, scopes: [...body.scopes].sort() }).toEqual({
      ...token.expect,
      scopes: [...token.expect.scopes].sort(),
    })
  })

  it.each(MISTAKES)('refuses $name', async (mistake) => {
    const before = rejections.length
    const ran = service.calls.length
    const response = await call('/whoami', await sign(mistake, keys, nowSeconds))
    expect(response.status).toBe(401)
    expect(service.calls.length, 'the handler must not run').toBe(ran)
    const body = (await response.json()) as { error: string; error_description: string }
    expect(body.error).toBe('invalid_token')
    expect(body.error_description).toMatch(mistake.expect.description)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    expect(rejections.slice(before).map((event) => event.reason)).toEqual([mistake.expect.reason])
  })

  it('refuses flavor-made mistakes: a Cognito ID token, a Keycloak token with aud: account', async () => {
    const cognitoServer = servers.get('cognito') as AuthServer
    const idToken = await cognitoServer.mint(
      { token_use: 'id', aud: '3localcognitoclientid', client_id: undefined },
      { omit: ['scope'] },
    )
    const keycloakServer = servers.get('keycloak') as AuthServer
    const noMapper = await keycloakServer.mint({
      azp: 'orders-batch',
      client_id: 'orders-batch',
      aud: 'account',
    })
    for (const [token, reason] of [
      [idToken, 'invalid_claim'],
      [noMapper, 'audience_mismatch'],
    ] as const) {
      const before = rejections.length
      const response = await call('/whoami', token)
      expect(response.status).toBe(401)
      expect(rejections.slice(before).map((event) => event.reason)).toEqual([reason])
    }
  })

  it('limits a route to one issuer: a valid token of another is 403 issuer_not_allowed', async () => {
    const before = rejections.length
    const response = await call(
      '/own-only',
      await sign(DOCUMENTED[0] as (typeof DOCUMENTED)[0], keys, nowSeconds),
    )
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope')
    expect(rejections.slice(before).map((event) => event.reason)).toEqual(['issuer_not_allowed'])
    const okta = servers.get('okta') as AuthServer
    expect((await call('/own-only', await okta.mint({ scp: [] }))).status).toBe(200)
  })
})
