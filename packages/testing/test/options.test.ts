import {
  type AuthServer,
  type AuthServerOptions,
  createAuthServer,
  type RegisteredClient,
} from '@m2m-guard/testing'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

describe('options are checked at start, naming the option', () => {
  it.each([
    [{ port: -1 }, /"port"/],
    [{ port: 1.5 }, /"port"/],
    [{ host: '' }, /"host"/],
    [{ issuerPath: 'tenant' }, /"issuerPath"/],
    [{ issuerPath: '/tenant/' }, /"issuerPath"/],
    [{ issuerPath: '/a?b' }, /"issuerPath"/],
    [{ algorithm: 'HS256' }, /"algorithm"/],
    [{ algorithm: 'none' }, /"algorithm"/],
    [{ tokenLifetime: 0 }, /"tokenLifetime"/],
    [{ audience: '' }, /"audience"/],
    [{ clock: 5 }, /"clock"/],
    [{ jwksMaxAge: -1 }, /"jwksMaxAge"/],
    [{ clients: {} }, /"clients"/],
  ])('%j', async (options, message) => {
    await expect(createAuthServer(options as AuthServerOptions)).rejects.toThrow(message)
  })

  it.each([
    [{ clientId: '', clientSecret: 's', scopes: [] }, /clientId/],
    [{ clientId: 'c', scopes: [] }, /needs "clientSecret", "jwks"/],
    [{ clientId: 'c', clientSecret: 's', scopes: ['has space'] }, /"scopes"/],
    [{ clientId: 'c', clientSecret: 's', scopes: 'a' }, /"scopes"/],
    [{ clientId: 'c', clientSecret: 's', scopes: [], audience: [''] }, /"audience"/],
    [{ clientId: 'c', clientSecret: 's', scopes: [], tokenLifetime: -5 }, /"tokenLifetime"/],
    [{ clientId: 'c', jwks: { keys: [] }, scopes: [] }, /"jwks"/],
    [{ clientId: 'c', jwks: { keys: [{ kty: 'EC', d: 'secret' }] }, scopes: [] }, /public keys only/],
  ])('client %j', async (client, message) => {
    await expect(createAuthServer({ clients: [client as RegisteredClient] })).rejects.toThrow(message)
  })
})

describe('clients can change while the server runs', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer()
  })
  afterAll(() => server.close())

  const token = (secret: string) =>
    postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic('late', secret) },
    )

  it('adds, replaces and removes clients', async () => {
    expect((await token('one')).status).toBe(401)
    server.addClient({ clientId: 'late', clientSecret: 'one', scopes: ['x'] })
    expect((await token('one')).status).toBe(200)
    server.addClient({ clientId: 'late', clientSecret: 'two', scopes: ['x'] })
    expect((await token('one')).status).toBe(401)
    expect((await token('two')).status).toBe(200)
    expect(server.removeClient('late')).toBe(true)
    expect(server.removeClient('late')).toBe(false)
    expect((await token('two')).status).toBe(401)
  })

  it('copies the client, so later changes to the object do not leak in', async () => {
    const client = { clientId: 'late', clientSecret: 'one', scopes: ['x'] }
    server.addClient(client)
    client.scopes.push('admin')
    const answer = await postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', scope: 'admin' },
      { authorization: basic('late', 'one') },
    )
    expect(answer.body.error).toBe('invalid_scope')
    server.removeClient('late')
  })

  it('accepts a client with both a secret and keys', async () => {
    const { publicKey } = await generateKeyPair('EdDSA')
    server.addClient({
      clientId: 'both',
      clientSecret: 's',
      jwks: { keys: [await exportJWK(publicKey)] },
      scopes: [],
    })
    const answer = await postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic('both', 's') },
    )
    expect(answer.status).toBe(200)
  })
})
