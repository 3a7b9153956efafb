import { createHmac } from 'node:crypto'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import {
  base64url,
  type CryptoKey,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

describe('mint', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ audience: 'https://orders.example' })
  })
  afterAll(() => server.close())

  const expected = (): JWTVerifyOptions => ({
    issuer: server.issuer,
    audience: 'https://orders.example',
    typ: 'at+jwt',
  })
  const verify = (token: string, options: JWTVerifyOptions = expected()) =>
    jwtVerify(token, createLocalJWKSet(server.keys.jwks), options)

  it('mints a valid RFC 9068 token by default', async () => {
    const { payload, protectedHeader } = await verify(await server.mint())
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: server.keys.current.kid })
    expect(payload).toEqual({
      iss: server.issuer,
      sub: 'test-client',
      client_id: 'test-client',
      aud: 'https://orders.example',
      iat: expect.any(Number),
      exp: (payload.iat as number) + 300,
      jti: expect.any(String),
    })
  })

  it('lets claims override every default, wrong types included', async () => {
    const token = await server.mint({
      client_id: 'billing',
      scope: 'orders:read',
      aud: 42,
      exp: 'soon',
      iss: ['x'],
    })
    expect(decodeJwt(token)).toMatchObject({
      client_id: 'billing',
      sub: 'billing',
      scope: 'orders:read',
      aud: 42,
      exp: 'soon',
      iss: ['x'],
    })
  })

  it('mints expired and not-yet-valid tokens', async () => {
    await expect(verify(await server.mint({}, { expiresIn: -60 }))).rejects.toBeInstanceOf(errors.JWTExpired)
    const early = await server.mint({}, { notBefore: 120 })
    expect(decodeJwt(early).nbf).toBe((decodeJwt(early).iat as number) + 120)
    await expect(verify(early)).rejects.toThrow(/nbf/)
  })

  it('leaves out claims named in omit', async () => {
    const payload = decodeJwt(await server.mint({}, { omit: ['exp', 'jti'] }))
    expect(payload).not.toHaveProperty('exp')
    expect(payload).not.toHaveProperty('jti')
    expect(payload).toHaveProperty('iat')
  })

  it('signs with a foreign key that the JWKS does not have', async () => {
    const token = await server.mint({}, { key: 'foreign' })
    expect(decodeProtectedHeader(token).kid).not.toBe(server.keys.current.kid)
    await expect(verify(token)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    // A foreign key under the current kid: the signature is what fails.
    const spoofed = await server.mint({}, { key: 'foreign', kid: server.keys.current.kid })
    await expect(verify(spoofed)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed)
  })

  it('sets or leaves out typ and kid', async () => {
    expect(decodeProtectedHeader(await server.mint({}, { typ: 'JWT' })).typ).toBe('JWT')
    const bare = decodeProtectedHeader(await server.mint({}, { typ: null, kid: null }))
    expect(bare).toEqual({ alg: 'RS256' })
    await expect(verify(await server.mint({}, { typ: 'JWT' }))).rejects.toThrow(/typ/)
  })

  it('adds header tricks the verifier must ignore or refuse', async () => {
    const jwk = server.keys.current.publicJwk
    const token = await server.mint(
      {},
      {
        header: {
          jku: 'https://evil.example/jwks',
          x5u: 'https://evil.example/cert',
          jwk,
          crit: ['exp'],
          exp: 1,
        },
      },
    )
    expect(decodeProtectedHeader(token)).toMatchObject({
      jku: 'https://evil.example/jwks',
      x5u: 'https://evil.example/cert',
      jwk,
      crit: ['exp'],
    })
    // jose refuses the unknown critical parameter, as every verifier must.
    await expect(verify(token)).rejects.toThrow(/crit|Extension/)
  })

  it('mints unsigned alg none tokens', async () => {
    for (const token of [
      await server.mintUnsigned({ scope: 'admin' }),
      await server.mint({}, { alg: 'none' }),
    ]) {
      const [, , signature] = token.split('.')
      expect(signature).toBe('')
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'none', typ: 'at+jwt' })
      await expect(verify(token)).rejects.toThrow()
    }
  })

  it('mints HS256 tokens keyed with the public key (algorithm confusion)', async () => {
    const token = await server.mintHmacWithPublicKey({ scope: 'admin' })
    const [header, payload, signature] = token.split('.')
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', kid: server.keys.current.kid })
    const pem = await exportSPKI((await importJWK(server.keys.current.publicJwk, 'RS256')) as CryptoKey)
    const expectedSignature = createHmac('sha256', pem).update(`${header}.${payload}`).digest()
    expect(base64url.decode(signature ?? '')).toEqual(new Uint8Array(expectedSignature))
    await expect(verify(token)).rejects.toThrow()

    const jwkKeyed = await server.mintHmacWithPublicKey({}, { alg: 'HS512', format: 'jwk' })
    const [h2, p2, s2] = jwkKeyed.split('.')
    const secret = JSON.stringify(server.keys.current.publicJwk)
    expect(base64url.decode(s2 ?? '')).toEqual(
      new Uint8Array(createHmac('sha512', secret).update(`${h2}.${p2}`).digest()),
    )
  })

  it('signs under another alg of the same key type', async () => {
    const token = await server.mint({}, { alg: 'PS384' })
    const { kid: _kid, alg: _alg, use: _use, ...material } = server.keys.current.publicJwk
    const key = await importJWK(material, 'PS384')
    const { protectedHeader } = await jwtVerify(token, key, expected())
    expect(protectedHeader).toMatchObject({ alg: 'PS384', kid: server.keys.current.kid })
    // The published key says RS256, so a set-based verifier finds no key for PS384.
    await expect(verify(token)).rejects.toThrow()
  })

  it('signs with a key the caller brings', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const token = await server.mint({}, { key: privateKey, alg: 'ES256', kid: 'mine' })
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'mine' })
    await expect(jwtVerify(token, publicKey, expected())).resolves.toBeTruthy()
  })

  it('refuses key "previous" before any rotation', async () => {
    await expect(server.mint({}, { key: 'previous' })).rejects.toThrow(/rotateKeys/)
  })
})
