import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

describe('key rotation', () => {
  // Time is frozen and moved by hand: retirement depends on it, and tests must not sleep.
  let now = Date.UTC(2030, 0, 1)
  let server: AuthServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  async function start() {
    now = Date.UTC(2030, 0, 1)
    server = await createAuthServer({
      clock: () => now,
      tokenLifetime: 300,
      clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a'] }],
    })
    return server
  }

  async function published(s: AuthServer): Promise<{ keys: { kid?: string }[] }> {
    return (await fetch(s.jwksUri)).json() as Promise<{ keys: { kid?: string }[] }>
  }

  async function verifyNow(s: AuthServer, token: string) {
    const jwks = createLocalJWKSet((await published(s)) as JSONWebKeySet)
    return jwtVerify(token, jwks, { issuer: s.issuer, currentDate: new Date(now) })
  }

  it('signs with a new kid and keeps the old key while its tokens live', async () => {
    const s = await start()
    const oldKid = s.keys.current.kid
    const { body } = await postToken(
      s.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic('c', 's') },
    )
    const oldToken = body.access_token as string

    const rotated = await s.rotateKeys()
    expect(rotated.kid).not.toBe(oldKid)
    expect(s.keys.current.kid).toBe(rotated.kid)
    expect(s.keys.previous?.kid).toBe(oldKid)
    expect((await published(s)).keys.map((key) => key.kid)).toEqual([rotated.kid, oldKid])

    const newToken = await s.mint()
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid)
    await expect(verifyNow(s, newToken)).resolves.toBeTruthy()
    await expect(verifyNow(s, oldToken)).resolves.toBeTruthy()

    now += 299_000
    expect((await published(s)).keys).toHaveLength(2)
    now += 2_000
    expect((await published(s)).keys.map((key) => key.kid)).toEqual([rotated.kid])
  })

  it('keeps the old key as long as the longest token it signed', async () => {
    const s = await start()
    const oldKid = s.keys.current.kid
    await s.mint({}, { expiresIn: 3600 })
    await s.rotateKeys()
    now += 1800_000
    expect((await published(s)).keys.map((key) => key.kid)).toContain(oldKid)
    now += 1801_000
    expect((await published(s)).keys.map((key) => key.kid)).not.toContain(oldKid)
  })

  it('drops the old key at once when asked', async () => {
    const s = await start()
    const oldToken = await s.mint()
    await s.rotateKeys({ dropPrevious: true })
    expect((await published(s)).keys).toHaveLength(1)
    await expect(verifyNow(s, oldToken)).rejects.toThrow()
    // Still there for tests that want a token from the dropped key.
    const fromDropped = await s.mint({}, { key: 'previous' })
    expect(decodeProtectedHeader(fromDropped).kid).toBe(s.keys.previous?.kid)
  })

  it('can switch algorithm on rotation, and rotate repeatedly', async () => {
    const s = await start()
    const first = s.keys.current.kid
    const second = await s.rotateKeys({ algorithm: 'ES256' })
    const third = await s.rotateKeys({ algorithm: 'EdDSA' })
    expect(second.alg).toBe('ES256')
    expect(third.alg).toBe('EdDSA')
    const keys = (await published(s)).keys as { kid: string; kty: string }[]
    expect(keys.map((key) => key.kid)).toEqual([third.kid, second.kid, first])
    expect(keys.map((key) => key.kty)).toEqual(['OKP', 'EC', 'RSA'])
    await expect(verifyNow(s, await s.mint())).resolves.toBeTruthy()
  })
})
