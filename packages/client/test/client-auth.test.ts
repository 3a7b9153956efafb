import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createTokenClient, type PrivateKey } from '@m2m-guard/client'
import { type CryptoKey, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { basicCredentials, formEncode } from '../src/client-auth.js'
import { createFakeClock } from './helpers/clock.js'
import type { RecordedRequest } from './helpers/http-server.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint
beforeEach(async () => {
  server = await startTokenEndpoint()
})
afterEach(() => server.close())

// What a server does with client_secret_basic (RFC 6749 §2.3.1): base64-decode, split at the first
// colon, then form-decode each half.
function decodeBasic(request: RecordedRequest): { id: string; secret: string } {
  const header = request.headers.authorization ?? ''
  expect(header).toMatch(/^Basic [A-Za-z0-9+/]+=*$/)
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
}

describe('client_secret_basic', () => {
  it('is the default, and form-encodes id and secret before base64', async () => {
    const clientId = 'billing:eu west'
    const clientSecret = 'p@ss w/rd+%:é&='
    await createTokenClient({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret }).getToken()
    const [request] = server.tokenRequests
    expect(request && decodeBasic(request)).toEqual({ id: clientId, secret: clientSecret })
    expect(request?.form.has('client_id')).toBe(false)
    expect(request?.form.has('client_secret')).toBe(false)
  })

  it('encodes like application/x-www-form-urlencoded', () => {
    expect(formEncode('a b:c')).toBe('a+b%3Ac')
    expect(formEncode("!'()*~")).toBe('%21%27%28%29*%7E')
    expect(formEncode('é')).toBe('%C3%A9')
    expect(basicCredentials('billing', 's3cr3t')).toBe(`Basic ${btoa('billing:s3cr3t')}`)
  })
})

describe('client_secret_post', () => {
  it('sends client_id and client_secret in the form, and no Authorization header', async () => {
    await createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      clientSecret: 'p@ss w/rd+',
      authMethod: 'client_secret_post',
    }).getToken()
    const [request] = server.tokenRequests
    expect(request?.headers.authorization).toBeUndefined()
    expect(request?.form.get('client_id')).toBe('billing')
    expect(request?.form.get('client_secret')).toBe('p@ss w/rd+')
  })
})

describe('private_key_jwt', () => {
  const clock = createFakeClock()

  async function assertionFor(privateKey: PrivateKey, extra: { algorithm?: string; keyId?: string } = {}) {
    const client = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      privateKey,
      clock: clock.now,
      ...extra,
    })
    await client.getToken()
    const request = server.tokenRequests.at(-1)
    expect(request?.headers.authorization).toBeUndefined()
    expect(request?.form.get('client_id')).toBe('billing')
    expect(request?.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    expect(request?.form.has('client_secret')).toBe(false)
    return { assertion: request?.form.get('client_assertion') ?? '', client }
  }

  async function verify(assertion: string, publicKey: KeyObject | CryptoKey, algorithm: string) {
    const { payload, protectedHeader } = await jwtVerify(assertion, publicKey, {
      issuer: 'billing',
      subject: 'billing',
      audience: server.tokenEndpoint,
      algorithms: [algorithm],
      currentDate: new Date(clock.now()),
    })
    expect(payload.exp).toBe((payload.iat ?? 0) + 60)
    expect(payload.iat).toBe(Math.floor(clock.now() / 1000))
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/)
    return { payload, protectedHeader }
  }

  it('signs with an EC KeyObject as ES256, iss = sub = client id, aud = token endpoint', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const { assertion } = await assertionFor(privateKey)
    const { protectedHeader } = await verify(assertion, publicKey, 'ES256')
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT' })
  })

  it('signs with a private JWK, taking alg and kid from it', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS384', { extractable: true })
    const jwk = { ...(await exportJWK(privateKey)), alg: 'RS384', kid: 'billing-2030' }
    const { assertion } = await assertionFor(jwk)
    const { protectedHeader } = await verify(assertion, publicKey, 'RS384')
    expect(protectedHeader).toEqual({ alg: 'RS384', typ: 'JWT', kid: 'billing-2030' })
  })

  it('signs with an Ed25519 CryptoKey as EdDSA, with the keyId option', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    const { assertion } = await assertionFor(privateKey, { keyId: 'k1' })
    const { protectedHeader } = await verify(assertion, publicKey, 'EdDSA')
    expect(protectedHeader.kid).toBe('k1')
  })

  it('uses the algorithm option (PS256 with an RSA key)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const { assertion } = await assertionFor(privateKey, { algorithm: 'PS256' })
    await verify(assertion, publicKey, 'PS256')
  })

  it('infers ES384 and ES512 from the curve', async () => {
    for (const [curve, alg] of [
      ['P-384', 'ES384'],
      ['P-521', 'ES512'],
    ] as const) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve })
      const { assertion } = await assertionFor(privateKey)
      expect(decodeProtectedHeader(assertion).alg).toBe(alg)
    }
  })

  it('signs a fresh assertion, with a new jti, for every request', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const { client } = await assertionFor(privateKey)
    client.invalidate()
    await client.getToken()
    const [first, second] = server.tokenRequests.map((request) => request.form.get('client_assertion'))
    expect(first).not.toBe(second)
  })
})
