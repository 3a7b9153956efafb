import { request } from 'node:http'
import { type AuthServer, createAuthServer, DPOP_ALGORITHMS } from '@m2m-guard/testing'
import {
  base64url,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProof, type ProofKey, proofKey } from './helpers/dpop-proof.js'
import { basic, postToken } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }
const CLIENT = { clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }
// Frozen: proof ages are judged against it, and tests must not sleep.
const NOW = Date.UTC(2031, 2, 1, 12)
const nowSeconds = NOW / 1000

describe('DPoP-bound tokens (RFC 9449 §5)', () => {
  let server: AuthServer
  let key: ProofKey
  beforeAll(async () => {
    server = await createAuthServer({ clients: [CLIENT], clock: () => NOW })
    key = await proofKey()
  })
  afterAll(() => server.close())

  const ask = (proof?: string | string[]) =>
    postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 's3cret'),
      ...(proof === undefined ? {} : { dpop: Array.isArray(proof) ? proof.join(', ') : proof }),
    })
  const proof = (options: Parameters<typeof makeProof>[2] = {}) =>
    makeProof(key, server.tokenEndpoint, { iat: nowSeconds, ...options })

  it('binds the token to the proof key: token_type DPoP, cnf.jkt = the RFC 7638 thumbprint', async () => {
    const { status, body } = await ask(await proof())
    expect(status).toBe(200)
    expect(body.token_type).toBe('DPoP')
    const jwks = createLocalJWKSet((await (await fetch(server.jwksUri)).json()) as JSONWebKeySet)
    const { payload } = await jwtVerify(body.access_token as string, jwks, {
      issuer: server.issuer,
      currentDate: new Date(NOW),
    })
    expect(payload.cnf).toEqual({ jkt: await calculateJwkThumbprint(key.publicJwk, 'sha256') })
  })

  it('issues a plain Bearer token without a proof', async () => {
    const { body } = await ask()
    expect(body.token_type).toBe('Bearer')
    expect(decodeJwt(body.access_token as string).cnf).toBeUndefined()
  })

  it.each(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'])('accepts a %s proof', async (alg) => {
    const other = await proofKey(alg)
    const { status, body } = await ask(await makeProof(other, server.tokenEndpoint, { iat: nowSeconds }))
    expect(status).toBe(200)
    expect(decodeJwt(body.access_token as string).cnf).toEqual({
      jkt: await calculateJwkThumbprint(other.publicJwk, 'sha256'),
    })
  })

  it('accepts htu spelt differently but naming the same URL, ignoring its query (RFC 9449 §4.3)', async () => {
    const { port } = server
    for (const htu of [`HTTP://127.0.0.1:${port}/token`, `http://127.0.0.1:${port}/token?x=1#f`]) {
      const { status } = await ask(await makeProof(key, htu, { iat: nowSeconds }))
      expect(status).toBe(200)
    }
  })

  it('advertises its proof algorithms in the metadata', async () => {
    const metadata = (await (await fetch(server.metadataUrl)).json()) as Record<string, unknown>
    expect(metadata.dpop_signing_alg_values_supported).toEqual([...DPOP_ALGORITHMS])
    expect(metadata.dpop_signing_alg_values_supported).not.toContain('HS256')
    expect(metadata).not.toHaveProperty('tls_client_certificate_bound_access_tokens')
  })

  describe('refuses a bad proof with 400 invalid_dpop_proof', () => {
    const cases: Array<[string, () => Promise<string | string[]>]> = [
      ['not a JWT', async () => 'not-a-jwt'],
      ['typ JWT', () => proof({ typ: 'JWT' })],
      ['htm GET', () => proof({ htm: 'GET' })],
      ['htu of another endpoint', () => makeProof(key, `${server.issuer}/jwks`, { iat: nowSeconds })],
      ['htu of another origin', () => makeProof(key, 'http://127.0.0.1:1/token', { iat: nowSeconds })],
      ['htu not a URL', () => makeProof(key, 'token', { iat: nowSeconds })],
      ['no jti', () => proof({ omit: ['jti'] })],
      ['no htu', () => proof({ omit: ['htu'] })],
      ['no iat', () => proof({ omit: ['iat'] })],
      ['iat older than 305 s', () => proof({ iat: nowSeconds - 306 })],
      ['iat 6 s in the future', () => proof({ iat: nowSeconds + 6 })],
      ['a jwk that is not the signing key', async () => proof({ jwk: (await proofKey()).publicJwk })],
      [
        'a private key in the jwk',
        async () => {
          const { privateKey } = await generateKeyPair('ES256', { extractable: true })
          const jwk = await exportJWK(privateKey)
          return makeProof({ alg: 'ES256', privateKey, publicJwk: jwk }, server.tokenEndpoint, {
            iat: nowSeconds,
          })
        },
      ],
      [
        'HS256 with a symmetric jwk',
        async () => {
          const secret = new Uint8Array(32).fill(7)
          return new SignJWT({ jti: 'h', htm: 'POST', htu: server.tokenEndpoint, iat: nowSeconds })
            .setProtectedHeader({
              typ: 'dpop+jwt',
              alg: 'HS256',
              jwk: { kty: 'oct', k: base64url.encode(secret) } as JWK,
            })
            .sign(secret)
        },
      ],
      [
        'alg none',
        async () => {
          const encode = (value: object) => base64url.encode(JSON.stringify(value))
          const header = { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }
          return `${encode(header)}.${encode({ jti: 'n', htm: 'POST', htu: server.tokenEndpoint, iat: nowSeconds })}.`
        },
      ],
      ['two proofs in one header', async () => [await proof(), await proof()]],
      ['a proof of 9 kB', () => proof({ jti: 'x'.repeat(9000) })],
      ['a jti of 300 characters', () => proof({ jti: 'x'.repeat(300) })],
    ]
    it.each(cases)('%s', async (_, make) => {
      const { status, body, headers } = await ask(await make())
      expect(status).toBe(400)
      expect(body.error).toBe('invalid_dpop_proof')
      expect(body.error_description).toEqual(expect.any(String))
      expect(headers.get('dpop-nonce')).toBeNull()
    })
  })

  it('accepts a proof once: a replay is refused', async () => {
    const once = await proof()
    expect((await ask(once)).status).toBe(200)
    const replay = await ask(once)
    expect(replay.status).toBe(400)
    expect(replay.body.error_description).toMatch(/already used/)
  })

  it('does not spend the jti of a proof that fails another check', async () => {
    expect((await ask(await proof({ jti: 'kept', htm: 'PUT' }))).status).toBe(400)
    expect((await ask(await proof({ jti: 'kept' }))).status).toBe(200)
  })

  it('refuses two DPoP header lines', async () => {
    const [first, second] = [await proof(), await proof()]
    const body = new URLSearchParams(GRANT).toString()
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(server.tokenEndpoint)
      request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: basic('billing', 's3cret'),
            dpop: [first, second],
          },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
        .on('error', reject)
        .end(body)
    })
    expect(status).toBe(400)
  })

  it('checks the proof before the client: a wrong secret with a good proof is still invalid_client', async () => {
    const answer = await postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 'wrong'),
      dpop: await proof(),
    })
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_client')
  })

  it('binds tokens of a provider flavor too', async () => {
    const auth0 = await createAuthServer({ flavor: 'auth0', clients: [CLIENT], clock: () => NOW })
    try {
      const answer = await postToken(
        auth0.tokenEndpoint,
        { ...GRANT, audience: 'https://api.example' },
        {
          authorization: basic('billing', 's3cret'),
          dpop: await makeProof(key, auth0.tokenEndpoint, { iat: nowSeconds }),
        },
      )
      expect(answer.status).toBe(200)
      expect(answer.body.token_type).toBe('DPoP')
      expect(decodeJwt(answer.body.access_token as string).cnf).toEqual({
        jkt: await calculateJwkThumbprint(key.publicJwk, 'sha256'),
      })
    } finally {
      await auth0.close()
    }
  })
})

describe('DPoP server nonces at the token endpoint (RFC 9449 §8)', () => {
  let server: AuthServer
  let key: ProofKey
  beforeAll(async () => {
    server = await createAuthServer({ clients: [CLIENT], clock: () => NOW, dpop: { nonce: true } })
    key = await proofKey()
  })
  afterAll(() => server.close())
  const ask = async (nonce?: string) =>
    postToken(server.tokenEndpoint, GRANT, {
      authorization: basic('billing', 's3cret'),
      dpop: await makeProof(key, server.tokenEndpoint, {
        iat: nowSeconds,
        ...(nonce === undefined ? {} : { nonce }),
      }),
    })

  it('answers a proof without a nonce with 400 use_dpop_nonce and a DPoP-Nonce; the retry with it succeeds', async () => {
    const first = await ask()
    expect(first.status).toBe(400)
    expect(first.body.error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBe(server.dpopNonce)
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    const retry = await ask(nonce as string)
    expect(retry.status).toBe(200)
    expect(retry.body.token_type).toBe('DPoP')
    expect(retry.headers.get('dpop-nonce')).toBe(nonce)
  })

  it('refuses a nonce it never issued', async () => {
    const answer = await ask('made-up')
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('use_dpop_nonce')
  })

  it('keeps the replaced nonce valid after a rotation, and only that one', async () => {
    const first = server.dpopNonce as string
    const second = server.rotateDpopNonce()
    expect(second).not.toBe(first)
    expect((await ask(first)).status).toBe(200)
    const third = server.rotateDpopNonce()
    expect(server.dpopNonce).toBe(third)
    expect((await ask(first)).body.error).toBe('use_dpop_nonce')
    expect((await ask(second)).status).toBe(200)
    const answer = await ask(third)
    expect(answer.headers.get('dpop-nonce')).toBe(third)
  })

  it('asks no nonce of a request without a proof: it gets a Bearer token', async () => {
    const answer = await postToken(server.tokenEndpoint, GRANT, { authorization: basic('billing', 's3cret') })
    expect(answer.status).toBe(200)
    expect(answer.body.token_type).toBe('Bearer')
  })

  it('has no nonce to rotate without the option', async () => {
    const plain = await createAuthServer()
    try {
      expect(plain.dpopNonce).toBeUndefined()
      expect(() => plain.rotateDpopNonce()).toThrow(/dpop\.nonce/)
    } finally {
      await plain.close()
    }
  })

  it('refuses a dpop option that is not one', async () => {
    await expect(createAuthServer({ dpop: { nonce: 'yes' as unknown as boolean } })).rejects.toThrow(
      /"dpop.nonce"/,
    )
    await expect(createAuthServer({ dpop: 5 as never })).rejects.toThrow(/"dpop" option/)
  })
})
