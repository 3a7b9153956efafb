import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { type ClientCertificate, createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify } from 'jose'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OidcProviderServer, startOidcProvider } from '../../../test/support/oidc-provider.js'

// Interop: our client's DPoP proofs and mutual-TLS client authentication against oidc-provider's
// token endpoint (its dPoP and mTLS features, certificate-bound access tokens), served over real
// HTTPS on 127.0.0.1 that asks for client certificates (the harness test/ shares).
const API = 'https://orders.example.test'

let pki: TestCertificates
let billing: ClientCertificate
let selfSigned: ClientCertificate
let op: OidcProviderServer
let issuer: string
let keys: ReturnType<typeof createLocalJWKSet>
let requireNonce = false

const thumbprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '')
const x5tS256 = (pem: string) => Buffer.from(thumbprint(pem), 'hex').toString('base64url')

beforeAll(async () => {
  pki = await createTestCertificates()
  billing = await pki.issueClient('billing')
  selfSigned = await pki.selfSigned('reports')
  op = await startOidcProvider({
    audience: API,
    tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca },
    requireNonce: () => requireNonce,
    clients: [
      { clientId: 'dpop-svc', clientSecret: 'dpop-secret', scopes: ['orders:read'], dpopBound: true },
      {
        clientId: 'mtls-pki',
        scopes: ['orders:read'],
        authMethod: 'tls_client_auth',
        subjectDn: new X509Certificate(billing.cert).subject,
        certificateBound: true,
      },
      {
        clientId: 'mtls-self',
        scopes: ['orders:read'],
        authMethod: 'self_signed_tls_client_auth',
        certificate: selfSigned.cert,
        certificateBound: true,
      },
    ],
  })
  issuer = op.issuer
  keys = createLocalJWKSet(op.jwks)
  caAgent = new Agent({ connect: { ca: pki.ca } })
})
afterAll(async () => {
  await caAgent?.close()
  await op?.close()
})

// DPoP clients present no certificate: they only need to trust the test CA. Token requests counted.
let caAgent: Agent
let tokenPosts = 0
const trustTestCa: typeof fetch = (input, init) => {
  if (init?.method === 'POST') tokenPosts++
  return fetch(input, { ...init, dispatcher: caAgent } as unknown as RequestInit)
}

const verified = async (token: string) => (await jwtVerify(token, keys, { issuer, audience: API })).payload

function client(options: Partial<TokenClientOptions>) {
  return createTokenClient({
    issuer,
    scope: 'orders:read',
    resource: API,
    retry: false,
    ...options,
  } as TokenClientOptions)
}

describe('oidc-provider accepts our client', () => {
  it('DPoP: a proof at the token endpoint gets a DPoP token bound to our key (cnf.jkt)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const token = await client({
      clientId: 'dpop-svc',
      clientSecret: 'dpop-secret',
      dpop: { privateKey },
      fetch: trustTestCa,
    }).getToken()
    const claims = await verified(token)
    expect(claims.client_id).toBe('dpop-svc')
    expect(claims.scope).toBe('orders:read')
    expect(claims.cnf).toEqual({
      jkt: await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK),
    })
  })

  it('DPoP with a nonce required: retries once with the nonce it was given', async () => {
    requireNonce = true
    tokenPosts = 0
    try {
      const token = await client({
        clientId: 'dpop-svc',
        clientSecret: 'dpop-secret',
        dpop: true,
        fetch: trustTestCa,
      }).getToken()
      expect((await verified(token)).cnf).toHaveProperty('jkt')
      expect(tokenPosts).toBe(2) // 400 use_dpop_nonce, then the token
    } finally {
      requireNonce = false
    }
  })

  it('tls_client_auth: the certificate authenticates, the token is bound to it (cnf x5t#S256)', async () => {
    const token = await client({
      clientId: 'mtls-pki',
      authMethod: 'tls_client_auth',
      tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
    }).getToken()
    const claims = await verified(token)
    expect(claims.client_id).toBe('mtls-pki')
    expect(claims.cnf).toEqual({ 'x5t#S256': x5tS256(billing.cert) })
  })

  it('self_signed_tls_client_auth: a registered self-signed certificate authenticates', async () => {
    const token = await client({
      clientId: 'mtls-self',
      authMethod: 'self_signed_tls_client_auth',
      tls: { cert: selfSigned.cert, key: selfSigned.key, ca: pki.ca },
    }).getToken()
    expect((await verified(token)).cnf).toEqual({ 'x5t#S256': x5tS256(selfSigned.cert) })
  })

  it('tls_client_auth with a certificate of another subject is invalid_client', async () => {
    const stranger = await pki.issueClient('stranger')
    await expect(
      client({
        clientId: 'mtls-pki',
        authMethod: 'tls_client_auth',
        tls: { cert: stranger.cert, key: stranger.key, ca: pki.ca },
      }).getToken(),
    ).rejects.toMatchObject({ error: 'invalid_client' })
  })
})
