import { generateKeyPairSync } from 'node:crypto'
import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveDpopKey } from '../src/dpop-key.js'
import { accessTokenHash, createDpopSession, targetUri } from '../src/dpop-session.js'
import { createFakeClock, type FakeClock } from './helpers/clock.js'
import { type CheckedProof, checkProof, sha256 } from './helpers/dpop-proofs.js'
import { type RecordedRequest, type Scripted, startServer, type TestServer } from './helpers/http-server.js'

// A real token endpoint and a real API on 127.0.0.1 that check every DPoP proof's signature (jose,
// with the key the proof carries) and record what they saw.
let issuer: TestServer
let api: TestServer
let clock: FakeClock
let tokenProofs: CheckedProof[]
let apiProofs: CheckedProof[]
let issued: number
// Scripted token endpoint answers, used before the default (a DPoP token).
let tokenScript: Array<(request: RecordedRequest) => Scripted>
let apiScript: Array<(request: RecordedRequest) => Scripted>

const dpopToken = (request: RecordedRequest): Scripted => {
  void request
  issued++
  return { body: { access_token: `dpop-token-${issued}`, token_type: 'DPoP', expires_in: 600 } }
}

beforeEach(async () => {
  clock = createFakeClock(Date.now())
  tokenProofs = []
  apiProofs = []
  issued = 0
  tokenScript = []
  apiScript = []
  issuer = await startServer(async (request) => {
    tokenProofs.push(await checkProof(request.headers.dpop as string | undefined))
    return (tokenScript.shift() ?? dpopToken)(request)
  })
  api = await startServer(async (request) => {
    apiProofs.push(await checkProof(request.headers.dpop as string | undefined))
    return (apiScript.shift() ?? (() => ({ body: { ok: true } })))(request)
  })
})
afterEach(async () => {
  await api.close()
  await issuer.close()
})

function client(extra: Partial<TokenClientOptions> = {}) {
  return createTokenClient({
    tokenEndpoint: `${issuer.url}/token`,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    dpop: true,
    clock: clock.now,
    sleep: clock.sleep,
    ...extra,
  } as TokenClientOptions)
}

const useNonce = (nonce: string) => (): Scripted => ({
  status: 400,
  headers: { 'dpop-nonce': nonce },
  body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' },
})
const apiNonce = (nonce: string) => (): Scripted => ({
  status: 401,
  headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': nonce },
})

describe('DPoP at the token endpoint', () => {
  it('sends a proof: dpop+jwt, ES256, the public key only, POST, the endpoint, no ath', async () => {
    expect(await client().getToken()).toBe('dpop-token-1')
    const [proof] = tokenProofs
    expect(proof?.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } })
    expect(Object.keys(proof?.header.jwk ?? {}).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(proof?.payload).toEqual({
      htm: 'POST',
      htu: `${issuer.url}/token`,
      iat: Math.floor(clock.now() / 1000),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
  })

  it('refuses a Bearer answer: the server did not bind the token', async () => {
    tokenScript.push(() => ({ body: { access_token: 'plain', token_type: 'Bearer', expires_in: 60 } }))
    await expect(client().getToken()).rejects.toMatchObject({
      reason: 'invalid_response',
      message: expect.stringContaining('token_type must be "DPoP"'),
    })
  })

  it('accepts token_type in any case', async () => {
    tokenScript.push(() => ({ body: { access_token: 'lower', token_type: 'dpop', expires_in: 60 } }))
    expect(await client().getToken()).toBe('lower')
  })

  it('retries once with the nonce on use_dpop_nonce, with a fresh proof', async () => {
    tokenScript.push(useNonce('nonce-1'))
    expect(await client().getToken()).toBe('dpop-token-1')
    expect(tokenProofs).toHaveLength(2)
    expect(tokenProofs[0]?.payload.nonce).toBeUndefined()
    expect(tokenProofs[1]?.payload.nonce).toBe('nonce-1')
    expect(tokenProofs[1]?.payload.jti).not.toBe(tokenProofs[0]?.payload.jti)
  })

  it('signs a new client assertion for the nonce retry (the first one was spent)', async () => {
    tokenScript.push(useNonce('nonce-1'))
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    await client({ clientSecret: undefined, privateKey } as Partial<TokenClientOptions>).getToken()
    const assertions = issuer.requests.map((request) => request.form.get('client_assertion'))
    expect(assertions).toHaveLength(2)
    expect(assertions[0]).not.toBe(assertions[1])
  })

  it('keeps the nonce for the next token request', async () => {
    tokenScript.push(useNonce('nonce-1'))
    const c = client()
    await c.getToken()
    c.invalidate()
    await c.getToken()
    expect(tokenProofs.map((proof) => proof.payload.nonce)).toEqual([undefined, 'nonce-1', 'nonce-1'])
  })

  it('retries only once: a second use_dpop_nonce fails', async () => {
    tokenScript.push(useNonce('nonce-1'), useNonce('nonce-2'))
    await expect(client().getToken()).rejects.toMatchObject({ error: 'use_dpop_nonce', status: 400 })
    expect(tokenProofs).toHaveLength(2)
  })

  it('does not retry use_dpop_nonce without a DPoP-Nonce header', async () => {
    tokenScript.push(() => ({ status: 400, body: { error: 'use_dpop_nonce' } }))
    await expect(client().getToken()).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    expect(tokenProofs).toHaveLength(1)
  })

  it.each([
    ['too long', 'n'.repeat(2000)],
    ['with a quote', 'a"b'],
  ])('ignores a nonce %s (not kept, not retried)', async (_, nonce) => {
    tokenScript.push(useNonce(nonce))
    await expect(client().getToken()).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    expect(tokenProofs).toHaveLength(1)
  })
})

describe('DPoP on client.fetch', () => {
  it('sends "Authorization: DPoP" and a proof bound to the request and the token', async () => {
    const c = client()
    const res = await c.fetch(`${api.url}/orders/7?expand=lines#top`, { method: 'post', body: '{}' })
    expect(res.status).toBe(200)
    expect(api.requests[0]?.headers.authorization).toBe('DPoP dpop-token-1')
    expect(apiProofs[0]?.payload).toEqual({
      htm: 'POST',
      htu: `${api.url}/orders/7`,
      ath: sha256('dpop-token-1'),
      iat: Math.floor(clock.now() / 1000),
      jti: expect.any(String),
    })
    // One key per client: the API sees the key the token was bound to.
    expect(apiProofs[0]?.jkt).toBe(tokenProofs[0]?.jkt)
  })

  it('makes a fresh proof for every request, with the method of a Request', async () => {
    const c = client()
    await c.fetch(`${api.url}/a`)
    await c.fetch(new Request(`${api.url}/b`, { method: 'DELETE' }))
    clock.advance(5_000)
    await c.fetch(new URL(`${api.url}/c`))
    const [a, b, cc] = apiProofs.map((proof) => proof.payload)
    expect([a?.htm, b?.htm, cc?.htm]).toEqual(['GET', 'DELETE', 'GET'])
    expect(new Set([a?.jti, b?.jti, cc?.jti]).size).toBe(3)
    expect((cc?.iat ?? 0) - (a?.iat ?? 0)).toBe(5)
    expect(issuer.requests).toHaveLength(1)
  })

  it('on 401 use_dpop_nonce retries once with the nonce, the same token; then remembers it', async () => {
    apiScript.push(apiNonce('api-nonce-1'))
    const c = client()
    const res = await c.fetch(`${api.url}/orders`, { method: 'PUT', body: 'x' })
    expect(res.status).toBe(200)
    expect(apiProofs.map((proof) => proof.payload.nonce)).toEqual([undefined, 'api-nonce-1'])
    expect(api.requests.map((request) => request.headers.authorization)).toEqual([
      'DPoP dpop-token-1',
      'DPoP dpop-token-1',
    ])
    expect(api.requests[1]?.body).toBe('x')
    await c.fetch(`${api.url}/orders`)
    expect(apiProofs[2]?.payload.nonce).toBe('api-nonce-1')
    // The API's nonce is for the API: the token endpoint never saw it.
    expect(tokenProofs.every((proof) => proof.payload.nonce === undefined)).toBe(true)
  })

  it('takes a new nonce from a 200 (RFC 9449 §8.2)', async () => {
    apiScript.push(() => ({ body: {}, headers: { 'dpop-nonce': 'rotated' } }))
    const c = client()
    await c.fetch(`${api.url}/a`)
    await c.fetch(`${api.url}/b`)
    expect(apiProofs[1]?.payload.nonce).toBe('rotated')
  })

  it('retries the nonce once only: a second use_dpop_nonce is returned', async () => {
    apiScript.push(apiNonce('n1'), apiNonce('n2'))
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(401)
    expect(api.requests).toHaveLength(2)
  })

  it('on 401 DPoP error="invalid_token" gets a new token and retries', async () => {
    apiScript.push(() => ({ status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } }))
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(200)
    expect(api.requests.map((request) => request.headers.authorization)).toEqual([
      'DPoP dpop-token-1',
      'DPoP dpop-token-2',
    ])
    expect(apiProofs[1]?.payload.ath).toBe(sha256('dpop-token-2'))
  })

  it('handles a nonce and an expired token in one call: at most three requests', async () => {
    apiScript.push(apiNonce('n1'), () => ({
      status: 401,
      headers: { 'www-authenticate': 'DPoP error="invalid_token"' },
    }))
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(200)
    expect(api.requests).toHaveLength(3)
  })

  it.each([
    ['invalid_dpop_proof', 'DPoP error="invalid_dpop_proof"'],
    ['a Bearer-only challenge', 'Bearer error="invalid_token"'],
  ])('does not retry a 401 with %s', async (_, challenge) => {
    apiScript.push(() => ({ status: 401, headers: { 'www-authenticate': challenge } }))
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(401)
    expect(api.requests).toHaveLength(1)
  })

  it('keeps nonces per origin', async () => {
    const other = await startServer(async (request) => {
      apiProofs.push(await checkProof(request.headers.dpop as string | undefined))
      return { body: {} }
    })
    try {
      apiScript.push(apiNonce('only-for-api'))
      const c = client()
      await c.fetch(`${api.url}/orders`)
      await c.fetch(`${other.url}/orders`)
      expect(apiProofs.map((proof) => proof.payload.nonce)).toEqual([undefined, 'only-for-api', undefined])
    } finally {
      await other.close()
    }
  })
})

describe('authorizationHeaders, for other HTTP clients', () => {
  it('gives the DPoP scheme and a fresh proof for the method and URL', async () => {
    const c = client()
    const headers = await c.authorizationHeaders('PATCH', `${api.url}/orders/7?x=1`)
    expect(headers.authorization).toBe('DPoP dpop-token-1')
    const proof = await checkProof(headers.dpop)
    expect(proof.payload).toMatchObject({
      htm: 'PATCH',
      htu: `${api.url}/orders/7`,
      ath: sha256('dpop-token-1'),
    })
    expect(proof.jkt).toBe(tokenProofs[0]?.jkt)
    const again = await c.authorizationHeaders('PATCH', new URL(`${api.url}/orders/7`))
    expect((await checkProof(again.dpop)).payload.jti).not.toBe(proof.payload.jti)
  })

  it('carries the nonce the origin handed out', async () => {
    apiScript.push(apiNonce('api-nonce'))
    const c = client()
    await c.fetch(`${api.url}/orders`)
    const headers = await c.authorizationHeaders('GET', `${api.url}/other`)
    expect((await checkProof(headers.dpop)).payload.nonce).toBe('api-nonce')
  })

  it.each<[string, unknown, unknown]>([
    ['an empty method', '', `http://127.0.0.1/x`],
    ['a relative URL', 'GET', '/orders'],
  ])('refuses %s', async (_, method, url) => {
    await expect(client().authorizationHeaders(method as string, url as string)).rejects.toThrow(TypeError)
  })
})

describe('the DPoP key', () => {
  it('is made once per client; two clients have two keys', async () => {
    const a = client()
    const b = client()
    await a.getToken()
    a.invalidate()
    await a.getToken()
    await b.getToken()
    const [first, second, third] = tokenProofs.map((proof) => proof.jkt)
    expect(first).toBe(second)
    expect(third).not.toBe(first)
  })

  it.each([
    ['an EC P-384 JWK', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'ES384'],
    ['an Ed25519 KeyObject', () => generateKeyPairSync('ed25519'), 'EdDSA'],
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'],
  ])('can be given: %s', async (name, make, alg) => {
    const { privateKey, publicKey } = make()
    const given = name.includes('JWK') ? (privateKey.export({ format: 'jwk' }) as JWK) : privateKey
    await client({ dpop: { privateKey: given } }).getToken()
    expect(tokenProofs[0]?.header.alg).toBe(alg)
    expect(tokenProofs[0]?.jkt).toBe(await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK))
    expect(tokenProofs[0]?.header.jwk).not.toHaveProperty('d')
  })

  it.each<[string, unknown, RegExp]>([
    ['a string', 'yes', /"dpop" option must be true, false or \{ privateKey \}/],
    [
      'a public key',
      { privateKey: generateKeyPairSync('ed25519').publicKey },
      /"dpop.privateKey" option must be a private key/,
    ],
    [
      'a symmetric JWK',
      { privateKey: { kty: 'oct', k: 'c2VjcmV0' } },
      /"dpop.privateKey" option must be an asymmetric/,
    ],
    [
      'a short RSA key',
      { privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey },
      /"dpop.privateKey" option must be an RSA key of 2048/,
    ],
  ])('refuses %s at creation', (_, dpop, message) => {
    expect(() => client({ dpop } as Partial<TokenClientOptions>)).toThrow(message)
  })

  it('dpop: false is off: Bearer as before, no proof', async () => {
    const plain = await startServer((request) => ({
      body: {
        access_token: 'bearer-1',
        token_type: 'Bearer',
        expires_in: 60,
        proof: request.headers.dpop ?? null,
      },
    }))
    try {
      const c = createTokenClient({
        tokenEndpoint: `${plain.url}/token`,
        clientId: 'a',
        clientSecret: 'b',
        dpop: false,
      })
      expect(await c.getToken()).toBe('bearer-1')
      expect(plain.requests[0]?.headers.dpop).toBeUndefined()
    } finally {
      await plain.close()
    }
  })
})

describe('proof parts', () => {
  it('ath is base64url SHA-256 of the token (RFC 9449 §7.1 example)', () => {
    expect(accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe(
      'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
    )
  })

  it('htu drops query and fragment', () => {
    expect(targetUri('https://api.example/orders?id=1#top')).toBe('https://api.example/orders')
    expect(targetUri('https://API.example:443/a/b/')).toBe('https://api.example/a/b/')
  })

  it('remembers the nonces of at most 100 origins, forgetting the least recently used', async () => {
    const key = resolveDpopKey(true)
    if (key === undefined) throw new Error('no key')
    const session = createDpopSession(key, Date.now)
    for (let i = 0; i <= 100; i++) {
      session.remember(`https://host-${i}.example/`, new Headers({ 'dpop-nonce': `n${i}` }))
    }
    const nonceIn = async (url: string) => (await checkProof(await session.proof('GET', url))).payload.nonce
    expect(await nonceIn('https://host-0.example/x')).toBeUndefined()
    expect(await nonceIn('https://host-1.example/x')).toBe('n1')
    expect(await nonceIn('https://host-100.example/x')).toBe('n100')
  })
})
