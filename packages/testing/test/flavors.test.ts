import {
  type AuthServer,
  type AuthServerOptions,
  createAuthServer,
  type FlavorName,
} from '@m2m-guard/testing'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

const ENTRA_TENANT = '0b1f5c7e-3d2a-4c8b-9e6f-1a2b3c4d5e6f'
const ENTRA_API = 'c3d3a9f4-6b1e-4d2a-8f5c-7e9a0b1c2d3e'
const PING_ENV = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d'
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

interface Case {
  flavor: FlavorName
  options?: AuthServerOptions
  /** Issuer, JWKS, token and metadata paths below the origin. */
  issuerPath: string
  jwksPath: string
  tokenPath: string
  metadataPaths: string[]
  typ: string | undefined
  /** The provider's token request, besides grant_type and the client's credentials. */
  request: Record<string, string>
  /** Claims the token must carry, for client `svc` granted `orders.read orders.write`. */
  claims: Record<string, unknown>
  absent: string[]
  replyScope: boolean
}

const SCOPES = ['orders.read', 'orders.write']

const cases: Case[] = [
  {
    flavor: 'auth0',
    options: { audience: 'https://orders.example' },
    issuerPath: '/',
    jwksPath: '/.well-known/jwks.json',
    tokenPath: '/oauth/token',
    metadataPaths: ['/.well-known/openid-configuration'],
    typ: 'JWT',
    request: { audience: 'https://orders.example' },
    claims: {
      sub: 'svc@clients',
      azp: 'svc',
      gty: 'client-credentials',
      aud: 'https://orders.example',
      scope: 'orders.read orders.write',
      permissions: SCOPES,
    },
    absent: ['client_id', 'jti', 'cid'],
    replyScope: true,
  },
  {
    flavor: 'okta',
    issuerPath: '/oauth2/default',
    jwksPath: '/oauth2/default/v1/keys',
    tokenPath: '/oauth2/default/v1/token',
    metadataPaths: [
      '/.well-known/oauth-authorization-server/oauth2/default',
      '/oauth2/default/.well-known/oauth-authorization-server',
      '/oauth2/default/.well-known/openid-configuration',
    ],
    typ: undefined,
    request: { scope: 'orders.read orders.write' },
    claims: { ver: 1, cid: 'svc', sub: 'svc', aud: 'api://default', scp: SCOPES },
    absent: ['client_id', 'azp', 'scope'],
    replyScope: true,
  },
  {
    flavor: 'entra',
    options: { tenant: ENTRA_TENANT, audience: ENTRA_API },
    issuerPath: `/${ENTRA_TENANT}/v2.0`,
    jwksPath: `/${ENTRA_TENANT}/discovery/v2.0/keys`,
    tokenPath: `/${ENTRA_TENANT}/oauth2/v2.0/token`,
    metadataPaths: [`/${ENTRA_TENANT}/v2.0/.well-known/openid-configuration`],
    typ: 'JWT',
    request: { scope: `api://${ENTRA_API}/.default` },
    claims: { aud: ENTRA_API, azp: 'svc', azpacr: '1', roles: SCOPES, tid: ENTRA_TENANT, ver: '2.0' },
    absent: ['client_id', 'scp', 'scope', 'appid', 'jti'],
    replyScope: false,
  },
  {
    flavor: 'entra-v1',
    options: { tenant: ENTRA_TENANT, audience: `api://${ENTRA_API}` },
    issuerPath: `/${ENTRA_TENANT}/`,
    jwksPath: `/${ENTRA_TENANT}/discovery/keys`,
    tokenPath: `/${ENTRA_TENANT}/oauth2/token`,
    metadataPaths: [`/${ENTRA_TENANT}/.well-known/openid-configuration`],
    typ: 'JWT',
    request: { scope: `api://${ENTRA_API}/.default` },
    claims: {
      aud: `api://${ENTRA_API}`,
      appid: 'svc',
      appidacr: '1',
      roles: SCOPES,
      tid: ENTRA_TENANT,
      ver: '1.0',
    },
    absent: ['client_id', 'scp', 'scope', 'azp', 'jti'],
    replyScope: false,
  },
  {
    flavor: 'cognito',
    options: { tenant: 'eu-west-1_AbC123' },
    issuerPath: '/eu-west-1_AbC123',
    jwksPath: '/eu-west-1_AbC123/.well-known/jwks.json',
    tokenPath: '/oauth2/token',
    metadataPaths: ['/eu-west-1_AbC123/.well-known/openid-configuration'],
    typ: undefined,
    request: { scope: 'orders.read orders.write', audience: 'https://ignored.example' },
    claims: {
      sub: 'svc',
      client_id: 'svc',
      token_use: 'access',
      scope: 'orders.read orders.write',
      version: 2,
    },
    absent: ['aud', 'azp', 'cid'],
    replyScope: false,
  },
  {
    flavor: 'keycloak',
    options: { tenant: 'acme', audience: 'orders-api' },
    issuerPath: '/realms/acme',
    jwksPath: '/realms/acme/protocol/openid-connect/certs',
    tokenPath: '/realms/acme/protocol/openid-connect/token',
    metadataPaths: [
      '/.well-known/oauth-authorization-server/realms/acme',
      '/realms/acme/.well-known/oauth-authorization-server',
      '/realms/acme/.well-known/openid-configuration',
    ],
    typ: 'JWT',
    request: { scope: 'profile orders.read orders.write' },
    claims: {
      aud: 'orders-api',
      azp: 'svc',
      client_id: 'svc',
      typ: 'Bearer',
      preferred_username: 'service-account-svc',
      scope: 'profile email orders.read orders.write',
    },
    absent: ['cid', 'scp'],
    replyScope: true,
  },
  {
    flavor: 'pingone',
    options: { tenant: PING_ENV, audience: 'https://orders.example' },
    issuerPath: `/${PING_ENV}/as`,
    jwksPath: `/${PING_ENV}/as/jwks`,
    tokenPath: `/${PING_ENV}/as/token`,
    metadataPaths: [`/${PING_ENV}/as/.well-known/openid-configuration`],
    typ: undefined,
    request: {},
    claims: { client_id: 'svc', aud: 'https://orders.example', scope: 'orders.read orders.write' },
    absent: ['sub', 'azp', 'sid'],
    replyScope: true,
  },
]

describe.each(cases)('flavor $flavor', (shape) => {
  let server: AuthServer
  let origin: string
  beforeAll(async () => {
    server = await createAuthServer({
      ...shape.options,
      flavor: shape.flavor,
      clients: [{ clientId: 'svc', clientSecret: 's3cret', scopes: SCOPES }],
    })
    origin = `http://127.0.0.1:${server.port}`
  })
  afterAll(() => server.close())

  it('has the provider’s issuer and endpoint paths', () => {
    expect(server.flavor).toBe(shape.flavor)
    expect(server.issuer).toBe(`${origin}${shape.issuerPath}`)
    expect(server.jwksUri).toBe(`${origin}${shape.jwksPath}`)
    expect(server.tokenEndpoint).toBe(`${origin}${shape.tokenPath}`)
    expect(server.metadataUrl).toBe(`${origin}${shape.metadataPaths[0]}`)
  })

  it('serves discovery where the provider does, and nowhere else', async () => {
    for (const path of shape.metadataPaths) {
      const res = await fetch(`${origin}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.json()).toMatchObject({
        issuer: server.issuer,
        jwks_uri: server.jwksUri,
        token_endpoint: server.tokenEndpoint,
      })
    }
    const standard = [
      `/.well-known/oauth-authorization-server${shape.issuerPath.replace(/\/$/, '')}`,
      `${shape.issuerPath.replace(/\/$/, '')}/.well-known/openid-configuration`,
      '/jwks',
      '/token',
    ].filter((path) => !shape.metadataPaths.includes(path))
    for (const path of standard) expect((await fetch(`${origin}${path}`)).status, path).toBe(404)
  })

  it('issues, for the provider’s token request, a token of the provider’s shape', async () => {
    const answer = await postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', ...shape.request },
      { authorization: basic('svc', 's3cret') },
    )
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    expect(answer.body.token_type).toBe('Bearer')
    expect('scope' in answer.body).toBe(shape.replyScope)
    const token = answer.body.access_token as string

    const header = decodeProtectedHeader(token)
    expect(header.typ).toBe(shape.typ)
    expect(header.kid).toBe(server.keys.current.kid)
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({ ...shape.claims, iss: server.issuer })
    for (const name of shape.absent) expect(claims, name).not.toHaveProperty(name)
    expect(claims.exp).toBe((claims.iat as number) + 300)

    // Verifiable through the provider's own discovery layout.
    const metadata = (await (await fetch(server.metadataUrl)).json()) as { jwks_uri: string }
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri))
    const typ = shape.typ === undefined ? {} : { typ: shape.typ }
    await expect(jwtVerify(token, keys, { issuer: server.issuer, ...typ })).resolves.toBeTruthy()
  })

  it('mints tokens of the same shape, with the client id in the provider’s claim', async () => {
    const token = await server.mint()
    expect(decodeProtectedHeader(token).typ).toBe(shape.typ)
    const claims = decodeJwt(token)
    expect(claims.iss).toBe(server.issuer)
    for (const name of shape.absent) expect(claims, name).not.toHaveProperty(name)
    expect(decodeProtectedHeader(await server.mint({}, { typ: 'at+jwt' })).typ).toBe('at+jwt')
  })
})

describe('flavor details', () => {
  const servers: AuthServer[] = []
  afterAll(() => Promise.all(servers.map((server) => server.close())))
  const start = async (options: AuthServerOptions) => {
    const server = await createAuthServer({
      clients: [{ clientId: 'svc', clientSecret: 's3cret', scopes: SCOPES }],
      ...options,
    })
    servers.push(server)
    return server
  }
  const token = (server: AuthServer, params: Record<string, string>) =>
    postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', ...params },
      { authorization: basic('svc', 's3cret') },
    )

  it('entra: the request must ask for {resource}/.default, of a resource the client may have', async () => {
    const server = await start({ flavor: 'entra', audience: ENTRA_API })
    expect(await token(server, {})).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    for (const scope of ['orders.read', `api://${ENTRA_API}/.default orders.read`, '/.default']) {
      expect(await token(server, { scope }), scope).toMatchObject({
        status: 400,
        body: { error: 'invalid_scope' },
      })
    }
    const other = await token(server, { scope: 'api://9f0e1d2c-3b4a-4c5d-8e6f-7a8b9c0d1e2f/.default' })
    expect(other).toMatchObject({ status: 400, body: { error: 'invalid_scope' } })
    // v2 tokens name the API by its application id, whichever form the client asked with.
    for (const scope of [`api://${ENTRA_API}/.default`, `${ENTRA_API}/.default`]) {
      const answer = await token(server, { scope })
      expect(decodeJwt(answer.body.access_token as string).aud, scope).toBe(ENTRA_API)
    }
  })

  it('entra: v2 keys carry the issuer; v1 tokens carry x5t; no roles when none is granted', async () => {
    const v2 = await start({ flavor: 'entra', tenant: ENTRA_TENANT })
    const published = (await (await fetch(v2.jwksUri)).json()) as { keys: { issuer?: string }[] }
    expect(published.keys.map((key) => key.issuer)).toEqual([v2.issuer])
    expect(v2.keys.jwks.keys[0]).toMatchObject({ issuer: v2.issuer })
    const claims = decodeJwt(await v2.mint())
    expect(claims).toMatchObject({ azp: 'test-client', tid: ENTRA_TENANT, ver: '2.0', nbf: claims.iat })
    expect(claims.oid).toMatch(GUID)
    expect(claims.sub).toBe(claims.oid)

    const v1 = await start({ flavor: 'entra-v1', tenant: ENTRA_TENANT })
    v1.addClient({ clientId: 'bare', clientSecret: 'b', scopes: [] })
    const answer = await postToken(
      v1.tokenEndpoint,
      { grant_type: 'client_credentials', scope: 'api://6e74172b-be56-4843-9ff4-e66a39bb12e3/.default' },
      { authorization: basic('bare', 'b') },
    )
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    const v1Token = answer.body.access_token as string
    expect(decodeProtectedHeader(v1Token).x5t).toBe(v1.keys.current.kid)
    expect(decodeJwt(v1Token)).not.toHaveProperty('roles')
    const v1Keys = (await (await fetch(v1.jwksUri)).json()) as { keys: object[] }
    expect(v1Keys.keys[0]).not.toHaveProperty('issuer')
  })

  it('a service-account or service-principal id is the same for the same client, other for another', async () => {
    const server = await start({ flavor: 'keycloak' })
    const a = decodeJwt(await server.mint({ azp: 'a' })).sub
    expect(decodeJwt(await server.mint({ azp: 'a' })).sub).toBe(a)
    expect(decodeJwt(await server.mint({ azp: 'b' })).sub).not.toBe(a)
    expect(a).toMatch(GUID)
  })

  it('mint reads the client id from the provider’s claim and lets claims override', async () => {
    const okta = await start({ flavor: 'okta' })
    expect(decodeJwt(await okta.mint({ cid: 'billing' }))).toMatchObject({ cid: 'billing', sub: 'billing' })
    const cognito = await start({ flavor: 'cognito' })
    const id = decodeJwt(await cognito.mint({ token_use: 'id', aud: 'svc' }))
    expect(id).toMatchObject({ token_use: 'id', aud: 'svc', client_id: 'test-client' })
  })

  it('uses the flavor’s default tenant and audience', async () => {
    const okta = await start({ flavor: 'okta' })
    expect(okta.tenant).toBe('default')
    expect(decodeJwt(await okta.mint()).aud).toBe('api://default')
    const entra = await start({ flavor: 'entra' })
    expect(entra.tenant).toMatch(GUID)
    expect(decodeJwt(await entra.mint()).aud).toMatch(GUID)
    const auth0 = await start({ flavor: 'auth0' })
    expect(auth0.tenant).toBeUndefined()
    const plain = await start({})
    expect([plain.flavor, plain.tenant]).toEqual([undefined, undefined])
  })

  it('refuses wrong flavor options, naming the option', async () => {
    const wrong: [AuthServerOptions, RegExp][] = [
      [{ flavor: 'azure' as FlavorName }, /"flavor" option must be one of auth0, okta, entra, entra-v1/],
      [{ flavor: 42 as unknown as FlavorName }, /"flavor"/],
      [{ tenant: 'acme' }, /"tenant" option needs a "flavor"/],
      [{ flavor: 'auth0', tenant: 'acme' }, /"tenant" option: the auth0 flavor has none/],
      [
        { flavor: 'entra', tenant: 'contoso.onmicrosoft.com' },
        /"tenant" option \(the entra tenant id\) must be a GUID/,
      ],
      [{ flavor: 'pingone', tenant: 'env' }, /"tenant" option \(the pingone environment id\)/],
      [{ flavor: 'cognito', tenant: 'AbC123' }, /"tenant" option \(the cognito user pool id\)/],
      [{ flavor: 'keycloak', tenant: 'a/b' }, /"tenant" option \(the keycloak realm\)/],
      [{ flavor: 'okta', tenant: '' }, /"tenant" option \(the okta custom authorization server id\)/],
      [{ flavor: 'okta', issuerPath: '/x' }, /"issuerPath" option cannot be combined with "flavor"/],
    ]
    for (const [options, message] of wrong) {
      await expect(createAuthServer(options), JSON.stringify(options)).rejects.toThrow(message)
    }
  })
})
