import { type AuthServer, CLIENT_ASSERTION_TYPE, createAuthServer } from '@m2m-guard/testing'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

describe('token endpoint: private_key_jwt (RFC 7523)', () => {
  let server: AuthServer
  let privateKey: CryptoKey
  let publicJwk: JWK
  let otherKey: CryptoKey
  let sequence = 0

  beforeAll(async () => {
    const own = await generateKeyPair('ES256')
    privateKey = own.privateKey
    publicJwk = { ...(await exportJWK(own.publicKey)), kid: 'k1', alg: 'ES256' }
    otherKey = (await generateKeyPair('ES256')).privateKey
    server = await createAuthServer()
    server.addClient({ clientId: 'signer', jwks: { keys: [publicJwk] }, scopes: ['jobs:run'] })
  })
  afterAll(() => server.close())

  function assertion(
    overrides: { claims?: Record<string, unknown>; key?: CryptoKey; expiresIn?: number } = {},
  ) {
    const now = Math.floor(Date.now() / 1000)
    sequence += 1
    return new SignJWT({
      iss: 'signer',
      sub: 'signer',
      aud: server.tokenEndpoint,
      jti: `jti-${sequence}-${Math.random()}`,
      iat: now,
      exp: now + (overrides.expiresIn ?? 60),
      ...overrides.claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(overrides.key ?? privateKey)
  }

  const params = (clientAssertion: string) => ({
    grant_type: 'client_credentials',
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: clientAssertion,
  })

  it('issues a token for a valid assertion', async () => {
    const { status, body } = await postToken(server.tokenEndpoint, params(await assertion()))
    expect(status).toBe(200)
    expect(body.scope).toBe('jobs:run')
  })

  it('accepts the issuer as audience, and a matching client_id', async () => {
    const token = await assertion({ claims: { aud: server.issuer } })
    const { status } = await postToken(server.tokenEndpoint, { ...params(token), client_id: 'signer' })
    expect(status).toBe(200)
  })

  it('refuses a replayed assertion', async () => {
    const token = await assertion()
    expect((await postToken(server.tokenEndpoint, params(token))).status).toBe(200)
    const replay = await postToken(server.tokenEndpoint, params(token))
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('invalid_client')
  })

  it.each([
    ['signed by a key not in the client jwks', async () => assertion({ key: otherKey })],
    ['with a wrong audience', async () => assertion({ claims: { aud: 'https://elsewhere.example' } })],
    ['with iss different from sub', async () => assertion({ claims: { iss: 'someone-else' } })],
    ['expired', async () => assertion({ expiresIn: -120 })],
    ['living too long', async () => assertion({ expiresIn: 3600 })],
    ['without exp', async () => assertion({ claims: { exp: undefined } })],
    ['without jti', async () => assertion({ claims: { jti: undefined } })],
    ['for an unknown client', async () => assertion({ claims: { iss: 'ghost', sub: 'ghost' } })],
    ['that is not a JWT', async () => 'not.a.jwt'],
  ])('refuses an assertion %s', async (_case, make) => {
    const answer = await postToken(server.tokenEndpoint, params(await make()))
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
    expect(answer.headers.get('www-authenticate')).toBeNull()
  })

  it('refuses an HS256 assertion keyed with the public key', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk))
    const token = await new SignJWT({
      iss: 'signer',
      sub: 'signer',
      aud: server.tokenEndpoint,
      jti: 'h',
      exp: 9e9,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(secret)
    expect((await postToken(server.tokenEndpoint, params(token))).status).toBe(401)
  })

  it('refuses a client_id that contradicts the assertion', async () => {
    const answer = await postToken(server.tokenEndpoint, { ...params(await assertion()), client_id: 'other' })
    expect(answer.status).toBe(401)
  })

  it('refuses a wrong client_assertion_type, and an assertion mixed with a secret', async () => {
    const token = await assertion()
    const wrongType = await postToken(server.tokenEndpoint, {
      ...params(token),
      client_assertion_type: 'jwt',
    })
    expect(wrongType.status).toBe(400)
    expect(wrongType.body.error).toBe('invalid_request')
    const mixed = await postToken(server.tokenEndpoint, params(token), {
      authorization: basic('signer', 'x'),
    })
    expect(mixed.status).toBe(400)
    expect(mixed.body.error).toBe('invalid_request')
  })

  it('refuses client_secret methods for a client that has only keys', async () => {
    const answer = await postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      {
        authorization: basic('signer', ''),
      },
    )
    expect(answer.status).toBe(401)
  })
})
