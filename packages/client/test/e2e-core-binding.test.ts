import { randomBytes } from 'node:crypto'
import { createTokenClient } from '@m2m-guard/client'
import { AuthError, createVerifier, type Verifier } from '@m2m-guard/core'
import {
  type AuthServer,
  type ClientCertificate,
  createAuthServer,
  createTestCertificates,
  type TestCertificates,
} from '@m2m-guard/testing'
import { Agent } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type RecordedRequest,
  type Scripted,
  type ServerTls,
  startServer,
  type TestServer,
} from './helpers/http-server.js'

// The whole chain with sender-constrained tokens: our client gets a bound token from the testing
// server and calls an API on 127.0.0.1 that checks it with @m2m-guard/core's authenticateRequest
// (DPoP with server nonces and replay detection; mTLS against the connection's certificate).
let issuer: AuthServer | undefined
let api: TestServer | undefined
afterEach(async () => {
  await api?.close()
  await issuer?.close()
  api = issuer = undefined
})

async function startApi(verifier: Verifier, tls?: ServerTls): Promise<TestServer> {
  const base = { url: '' }
  const server = await startServer(async (request: RecordedRequest): Promise<Scripted> => {
    try {
      const auth = await verifier.authenticateRequest(
        {
          method: request.method,
          url: `${base.url}${request.path}`,
          headers: request.headers,
          ...(request.peerCertificate === undefined ? {} : { clientCertificate: request.peerCertificate }),
        },
        { scopes: ['orders:read'] },
      )
      return { body: { clientId: auth.clientId, binding: auth.binding } }
    } catch (error) {
      if (!(error instanceof AuthError)) throw error
      return { status: error.status, headers: { ...error.headers }, body: error.body }
    }
  }, tls)
  base.url = server.url
  return server
}

describe('DPoP: client → testing server → core', () => {
  it('a DPoP-bound token with proofs, through the API nonce, accepted by core', async () => {
    issuer = await createAuthServer({
      algorithm: 'ES256',
      clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
    })
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example',
      jwksUri: issuer.jwksUri,
      dpop: { required: true, nonce: { secret: randomBytes(32) } },
    })
    api = await startApi(verifier)
    const client = createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      clientSecret: 's3cret',
      dpop: true,
    })

    const first = await client.fetch(`${api.url}/orders?page=1`, { method: 'POST', body: '{}' })
    expect(first.status).toBe(200)
    const { binding } = (await first.json()) as { binding: { method: string; jkt: string } }
    expect(binding).toEqual({ method: 'dpop', jkt: expect.any(String) })
    // 401 use_dpop_nonce with a DPoP-Nonce, then the same request with the nonce.
    expect(api.requests).toHaveLength(2)
    expect(api.requests[0]?.headers.authorization).toMatch(/^DPoP /)

    const second = await client.fetch(`${api.url}/orders`)
    expect(second.status).toBe(200)
    expect(api.requests).toHaveLength(3) // the nonce was remembered
    expect(issuer.requests.token).toBe(1)
  })

  it('a proof taken from a request and replayed is refused; the client itself never replays', async () => {
    issuer = await createAuthServer({
      algorithm: 'ES256',
      clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
    })
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example',
      jwksUri: issuer.jwksUri,
      dpop: { required: true },
    })
    api = await startApi(verifier)
    const client = createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      clientSecret: 's3cret',
      dpop: true,
    })
    for (let n = 0; n < 3; n++) expect((await client.fetch(`${api.url}/orders`)).status).toBe(200)
    const stolen = api.requests[0]?.headers
    const replayed = await fetch(`${api.url}/orders`, {
      headers: { authorization: String(stolen?.authorization), dpop: String(stolen?.dpop) },
    })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP /)
  })
})

describe('mTLS: client → testing server → core', () => {
  let pki: TestCertificates
  let billing: ClientCertificate
  let stranger: ClientCertificate
  let caAgent: Agent
  beforeAll(async () => {
    pki = await createTestCertificates()
    billing = await pki.issueClient('billing')
    stranger = await pki.issueClient('stranger')
    caAgent = new Agent({ connect: { ca: pki.ca } })
  })
  afterAll(() => caAgent.close())

  async function setUp() {
    issuer = await createAuthServer({
      algorithm: 'ES256',
      tls: { ...pki.server, ca: pki.ca },
      clients: [
        { clientId: 'billing', scopes: ['orders:read'], tlsClientAuth: { subjectDn: billing.subjectDn } },
      ],
    })
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: 'https://api.example',
      jwksUri: issuer.jwksUri,
      // The key set is served over HTTPS under the test CA.
      fetch: (input, init) => fetch(input, { ...init, dispatcher: caAgent } as unknown as RequestInit),
      mtls: { required: true },
    })
    api = await startApi(verifier, pki.server)
    return { issuer, api }
  }

  it('a certificate-bound token from tls_client_auth, presented with the same certificate, is accepted', async () => {
    const { issuer, api } = await setUp()
    const client = createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      authMethod: 'tls_client_auth',
      tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
    })
    const res = await client.fetch(`${api.url}/orders`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      clientId: 'billing',
      binding: { method: 'mtls', thumbprint: billing.thumbprint },
    })
  })

  it('the same token from another certificate is refused as certificate_mismatch', async () => {
    const { issuer, api } = await setUp()
    const token = await createTokenClient({
      issuer: issuer.issuer,
      clientId: 'billing',
      authMethod: 'tls_client_auth',
      tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
    }).getToken()
    const thief = new Agent({
      connect: { cert: stranger.cert, key: stranger.key, ca: pki.ca, maxCachedSessions: 0 },
    })
    try {
      const res = await fetch(`${api.url}/orders`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher: thief,
      } as unknown as RequestInit)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toContain('invalid_token')
    } finally {
      await thief.close()
    }
  })
})
