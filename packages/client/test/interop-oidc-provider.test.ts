import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { type ClientCertificate, createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify } from 'jose'
import Provider, { errors } from 'oidc-provider'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Interop: our client's DPoP proofs and mutual-TLS client authentication against oidc-provider's
// token endpoint (its dPoP and mTLS features, certificate-bound access tokens), served over real
// HTTPS on 127.0.0.1 that asks for client certificates.
const API = 'https://orders.example.test'

let pki: TestCertificates
let billing: ClientCertificate
let selfSigned: ClientCertificate
let server: Server
let issuer: string
let requireNonce = false
const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const providerJwk = { ...(signing.privateKey.export({ format: 'jwk' }) as JWK), kid: 'op-ec', use: 'sig' }
const keys = createLocalJWKSet({
  keys: [{ ...(signing.publicKey.export({ format: 'jwk' }) as JWK), kid: 'op-ec' }],
})

// The provider runs on an https server: its sockets are TLS sockets.
const tlsOf = (ctx: { socket: unknown }) => ctx.socket as TLSSocket
const thumbprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '')
const x5tS256 = (pem: string) => Buffer.from(thumbprint(pem), 'hex').toString('base64url')

beforeAll(async () => {
  pki = await createTestCertificates()
  billing = await pki.issueClient('billing')
  selfSigned = await pki.selfSigned('reports')
  server = createServer({
    key: pki.server.key,
    cert: pki.server.cert,
    ca: pki.ca,
    requestCert: true,
    rejectUnauthorized: false,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  const common = {
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'orders:read',
    id_token_signed_response_alg: 'ES256' as const, // the provider's only key is ES256
  }
  const selfSignedJwk = new X509Certificate(selfSigned.cert).publicKey.export({ format: 'jwk' }) as JWK
  const provider = new Provider(issuer, {
    jwks: { keys: [providerJwk] },
    clients: [
      { ...common, client_id: 'dpop-svc', client_secret: 'dpop-secret', dpop_bound_access_tokens: true },
      {
        ...common,
        client_id: 'mtls-pki',
        token_endpoint_auth_method: 'tls_client_auth',
        tls_client_auth_subject_dn: new X509Certificate(billing.cert).subject,
        tls_client_certificate_bound_access_tokens: true,
      },
      {
        ...common,
        client_id: 'mtls-self',
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        jwks: {
          keys: [{ ...selfSignedJwk, x5c: [new X509Certificate(selfSigned.cert).raw.toString('base64')] }],
        },
        tls_client_certificate_bound_access_tokens: true,
      },
    ],
    clientAuthMethods: ['client_secret_basic', 'tls_client_auth', 'self_signed_tls_client_auth'],
    scopes: ['orders:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => requireNonce },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => tlsOf(ctx).getPeerX509Certificate(),
        certificateAuthorized: (ctx) => tlsOf(ctx).authorized,
        certificateSubjectMatches: (ctx, property, expected) =>
          property === 'tls_client_auth_subject_dn' &&
          tlsOf(ctx).getPeerX509Certificate()?.subject === expected,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => API,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== API) throw new errors.InvalidTarget()
          return {
            scope: 'orders:read',
            audience: API,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
  })
  server.on('request', provider.callback())
  caAgent = new Agent({ connect: { ca: pki.ca } })
})
afterAll(async () => {
  await caAgent.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
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
