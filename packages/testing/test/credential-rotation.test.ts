import { randomUUID } from 'node:crypto'
import { type AuthServer, CLIENT_ASSERTION_TYPE, createAuthServer } from '@m2m-guard/testing'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }

describe('credential rotation: several active secrets per client', () => {
  let server: AuthServer
  beforeEach(async () => {
    server = await createAuthServer({
      clients: [{ clientId: 'billing', clientSecret: 'old-secret', scopes: ['orders:read'] }],
    })
  })
  afterEach(() => server.close())

  const withBasic = async (secret: string) =>
    (await postToken(server.tokenEndpoint, GRANT, { authorization: basic('billing', secret) })).status
  const withPost = async (secret: string) =>
    (await postToken(server.tokenEndpoint, { ...GRANT, client_id: 'billing', client_secret: secret })).status

  it('rehearses a rotation: add the new secret, both work, revoke the old, only the new works', async () => {
    expect(await withBasic('old-secret')).toBe(200)
    expect(await withBasic('new-secret')).toBe(401)

    server.addSecret('billing', 'new-secret')
    for (const secret of ['old-secret', 'new-secret']) {
      expect(await withBasic(secret)).toBe(200)
      expect(await withPost(secret)).toBe(200)
    }

    expect(server.revokeSecret('billing', 'old-secret')).toBe(true)
    expect(await withBasic('old-secret')).toBe(401)
    expect(await withPost('old-secret')).toBe(401)
    expect(await withBasic('new-secret')).toBe(200)
    expect(await withPost('new-secret')).toBe(200)
  })

  it('answers a revoked secret as any wrong secret: 401 invalid_client', async () => {
    server.addSecret('billing', 'new-secret')
    server.revokeSecret('billing', 'old-secret')
    const revoked = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 'old-secret'),
    })
    const wrong = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 'never-was'),
    })
    expect(revoked.status).toBe(401)
    expect(revoked.body).toEqual(wrong.body)
    expect(revoked.headers.get('www-authenticate')).toBe(wrong.headers.get('www-authenticate'))
  })

  it('holds more than two secrets, and none once all are revoked', async () => {
    server.addSecret('billing', 'second')
    server.addSecret('billing', 'third')
    server.addSecret('billing', 'third') // adding one it has changes nothing
    for (const secret of ['old-secret', 'second', 'third']) expect(await withBasic(secret)).toBe(200)
    for (const secret of ['old-secret', 'second', 'third'])
      expect(server.revokeSecret('billing', secret)).toBe(true)
    for (const secret of ['old-secret', 'second', 'third']) expect(await withBasic(secret)).toBe(401)
    expect(server.revokeSecret('billing', 'third')).toBe(false)
  })

  it('starts again from clientSecret when the client is registered anew', async () => {
    server.addSecret('billing', 'new-secret')
    server.addClient({ clientId: 'billing', clientSecret: 'fresh', scopes: [] })
    expect(await withBasic('new-secret')).toBe(401)
    expect(await withBasic('fresh')).toBe(200)
  })

  it('gives a client without a secret its first one', async () => {
    const { publicKey } = await generateKeyPair('ES256')
    server.addClient({ clientId: 'signer', jwks: { keys: [await exportJWK(publicKey)] }, scopes: [] })
    server.addSecret('signer', 'now-with-secret')
    const answer = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('signer', 'now-with-secret'),
    })
    expect(answer.status).toBe(200)
  })

  it('refuses an unknown client and a secret that is not one', () => {
    expect(() => server.addSecret('nobody', 'x')).toThrow(/no client "nobody"/)
    expect(() => server.revokeSecret('nobody', 'x')).toThrow(/no client "nobody"/)
    expect(() => server.addSecret('billing', '')).toThrow(TypeError)
    expect(() => server.addSecret('billing', 42 as unknown as string)).toThrow(TypeError)
  })
})

describe('credential rotation: several active keys per private_key_jwt client', () => {
  let server: AuthServer
  const keys: Record<string, { privateKey: CryptoKey; publicJwk: JWK }> = {}
  beforeEach(async () => {
    for (const kid of ['k1', 'k2']) {
      const pair = await generateKeyPair('ES256')
      keys[kid] = { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid } }
    }
    server = await createAuthServer({
      clients: [{ clientId: 'signer', jwks: { keys: [keys.k1?.publicJwk as JWK] }, scopes: ['jobs:run'] }],
    })
  })
  afterEach(() => server.close())

  async function withKey(kid: string): Promise<number> {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({
      iss: 'signer',
      sub: 'signer',
      aud: server.tokenEndpoint,
      jti: randomUUID(),
      iat: now,
      exp: now + 60,
    })
      .setProtectedHeader({ alg: 'ES256', kid })
      .sign(keys[kid]?.privateKey as CryptoKey)
    const answer = await postToken(server.tokenEndpoint, {
      ...GRANT,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    })
    return answer.status
  }

  it('rehearses a key rotation: add the new key, both sign, revoke the old, only the new signs', async () => {
    expect(await withKey('k1')).toBe(200)
    expect(await withKey('k2')).toBe(401)
    server.addKey('signer', keys.k2?.publicJwk as JWK)
    expect(await withKey('k1')).toBe(200)
    expect(await withKey('k2')).toBe(200)
    expect(server.revokeKey('signer', 'k1')).toBe(true)
    expect(await withKey('k1')).toBe(401)
    expect(await withKey('k2')).toBe(200)
    expect(server.revokeKey('signer', 'k1')).toBe(false)
    expect(server.revokeKey('signer', 'k2')).toBe(true)
    expect(await withKey('k2')).toBe(401)
  })

  it('replaces a key added again under the same kid', async () => {
    const replacement = await generateKeyPair('ES256')
    server.addKey('signer', { ...(await exportJWK(replacement.publicKey)), kid: 'k1' })
    expect(await withKey('k1')).toBe(401) // the old k1 no longer verifies
  })

  it('refuses keys it could not revoke or must not hold', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'p' }
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'n' }
    const { kid: _kid, ...withoutKid } = (keys.k2 as { publicJwk: JWK }).publicJwk
    expect(() => server.addKey('signer', withoutKid)).toThrow(/needs a "kid"/)
    expect(() => server.addKey('signer', privateJwk)).toThrow(/public keys only/)
    expect(() => server.addKey('nobody', publicJwk)).toThrow(/no client/)
    expect(() => server.addKey('signer', { kid: 'x' } as JWK)).toThrow(/"kty"/)
  })
})
