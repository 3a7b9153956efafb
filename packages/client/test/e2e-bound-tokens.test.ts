import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import {
  type AuthServer,
  type ClientCertificate,
  createAuthServer,
  createTestCertificates,
  type TestCertificates,
} from '@m2m-guard/testing'
import { calculateJwkThumbprint, createLocalJWKSet, createRemoteJWKSet, type JWK, jwtVerify } from 'jose'
import { Agent } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { checkProof } from './helpers/dpop-proofs.js'
import { startServer, type TestServer } from './helpers/http-server.js'

// End to end against @m2m-guard/testing issuing sender-constrained tokens: DPoP-bound (with server
// nonces) and certificate-bound over real HTTPS with client certificates.
let server: AuthServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('DPoP against the testing server', () => {
  async function start() {
    server = await createAuthServer({
      algorithm: 'ES256',
      dpop: { nonce: true },
      clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
    })
    return server
  }
  const claimsOf = async (issuer: AuthServer, token: string) =>
    (await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: issuer.issuer })).payload

  it('gets a DPoP token bound to the key, through the server nonce', async () => {
    const issuer = await start()
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const client = createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      clientSecret: 's3cret',
      dpop: { privateKey },
    })
    const claims = await claimsOf(issuer, await client.getToken())
    expect(claims.cnf).toEqual({
      jkt: await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK),
    })
    expect(issuer.requests.token).toBe(2) // use_dpop_nonce, then the token
  })

  it('recovers when the server rotates its nonce past the one remembered', async () => {
    const issuer = await start()
    const client = createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      clientSecret: 's3cret',
      dpop: true,
    })
    await client.getToken()
    issuer.rotateDpopNonce()
    issuer.rotateDpopNonce() // the remembered nonce is now two behind: refused
    client.invalidate()
    const claims = await claimsOf(issuer, await client.getToken())
    expect(claims.cnf).toHaveProperty('jkt')
    expect(issuer.requests.token).toBe(4)
  })

  it('client.fetch sends the bound token with a proof for the same key', async () => {
    const issuer = await start()
    const seen: Array<{ authorization: string | undefined; jkt: string }> = []
    const api = await startServer(async (request) => {
      seen.push({
        authorization: request.headers.authorization,
        jkt: (await checkProof(request.headers.dpop as string)).jkt,
      })
      return { body: {} }
    })
    try {
      const client = createTokenClient({
        issuer: issuer.issuer,
        clientId: 'billing',
        clientSecret: 's3cret',
        dpop: true,
      })
      expect((await client.fetch(`${api.url}/orders`)).status).toBe(200)
      const token = await client.getToken()
      const { cnf } = await claimsOf(issuer, token)
      expect(seen).toEqual([{ authorization: `DPoP ${token}`, jkt: (cnf as { jkt: string }).jkt }])
    } finally {
      await api.close()
    }
  })
})

describe('mutual TLS against the testing server', () => {
  let pki: TestCertificates
  let billing: ClientCertificate
  let robot: ClientCertificate
  let caAgent: Agent
  beforeAll(async () => {
    pki = await createTestCertificates()
    billing = await pki.issueClient('billing')
    robot = await pki.selfSigned('robot')
    caAgent = new Agent({ connect: { ca: pki.ca } })
  })
  afterAll(() => caAgent.close())

  async function start() {
    server = await createAuthServer({
      algorithm: 'ES256',
      tls: { ...pki.server, ca: pki.ca },
      clients: [
        { clientId: 'billing', scopes: ['orders:read'], tlsClientAuth: { subjectDn: billing.subjectDn } },
        { clientId: 'robot', scopes: ['orders:read'], selfSignedCertificate: robot.cert },
        { clientId: 'legacy', clientSecret: 's3cret', scopes: ['orders:read'] },
      ],
    })
    return server
  }
  // The JWKS is served over HTTPS too: read it trusting the test CA.
  const claimsOf = async (issuer: AuthServer, token: string) => {
    const jwks = (await (
      await fetch(issuer.jwksUri, { dispatcher: caAgent } as unknown as RequestInit)
    ).json()) as {
      keys: JWK[]
    }
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: issuer.issuer,
    })
    return payload
  }

  it.each<[string, () => ClientCertificate, Partial<TokenClientOptions>]>([
    ['tls_client_auth', () => billing, { clientId: 'billing', authMethod: 'tls_client_auth' }],
    [
      'self_signed_tls_client_auth',
      () => robot,
      { clientId: 'robot', authMethod: 'self_signed_tls_client_auth' },
    ],
    ['client_secret_basic over mTLS', () => billing, { clientId: 'legacy', clientSecret: 's3cret' }],
  ])('%s: a token bound to the certificate (cnf x5t#S256)', async (_, certificate, options) => {
    const issuer = await start()
    const { cert, key, thumbprint } = certificate()
    const token = await createTokenClient({
      issuer: issuer.issuer,
      tls: { cert, key, ca: pki.ca },
      ...options,
    } as TokenClientOptions).getToken()
    const claims = await claimsOf(issuer, token)
    expect(claims.cnf).toEqual({ 'x5t#S256': thumbprint })
    expect(claims.client_id).toBe(options.clientId)
  })

  it('a certificate the server does not know is invalid_client, not retried', async () => {
    const issuer = await start()
    const stranger = await pki.issueClient('stranger')
    await expect(
      createTokenClient({
        issuer: issuer.issuer,
        clientId: 'billing',
        authMethod: 'tls_client_auth',
        tls: { cert: stranger.cert, key: stranger.key, ca: pki.ca },
      }).getToken(),
    ).rejects.toMatchObject({ error: 'invalid_client', attempts: 1 })
  })

  it('client.fetch presents the same certificate to the API', async () => {
    const issuer = await start()
    let api: TestServer | undefined
    try {
      api = await startServer(
        (request) => ({ body: { subject: request.peerCertificate?.subject } }),
        pki.server,
      )
      const client = createTokenClient({
        issuer: issuer.issuer,
        clientId: 'billing',
        authMethod: 'tls_client_auth',
        tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
      })
      const res = await client.fetch(`${api.url}/orders`)
      expect(await res.json()).toEqual({ subject: new X509Certificate(billing.cert).subject })
      expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${await client.getToken()}`)
    } finally {
      await api?.close()
    }
  })
})
