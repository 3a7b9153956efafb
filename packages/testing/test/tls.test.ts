import { Agent } from 'node:https'
import {
  type AuthServer,
  type ClientCertificate,
  createAuthServer,
  createTestCertificates,
  type TestCertificates,
} from '@m2m-guard/testing'
import { calculateJwkThumbprint, createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeProof, proofKey } from './helpers/dpop-proof.js'
import { getTls, postTls } from './helpers/https-request.js'
import { basic } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }

describe('createAuthServer({ tls }): mutual TLS (RFC 8705)', () => {
  let pki: TestCertificates
  let server: AuthServer
  let billing: ClientCertificate
  let robot: ClientCertificate
  beforeAll(async () => {
    pki = await createTestCertificates()
    billing = await pki.issueClient('billing')
    robot = await pki.selfSigned('robot')
    server = await createAuthServer({
      tls: { ...pki.server, ca: pki.ca },
      clients: [
        { clientId: 'billing', scopes: ['orders:read'], tlsClientAuth: { subjectDn: billing.subjectDn } },
        { clientId: 'robot', scopes: ['orders:read'], selfSignedCertificate: robot.cert },
        { clientId: 'secretive', clientSecret: 's3cret', scopes: ['orders:read'] },
      ],
    })
  })
  afterAll(() => server?.close())

  const withCertificate = (cert: ClientCertificate | undefined) => ({
    ca: pki.ca,
    ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
  })
  const ask = (clientId: string, cert: ClientCertificate | undefined, headers: Record<string, string> = {}) =>
    postTls(server.tokenEndpoint, { ...GRANT, client_id: clientId }, withCertificate(cert), headers)

  it('serves HTTPS on 127.0.0.1 and advertises RFC 8705 in its metadata', async () => {
    expect(server.issuer).toBe(`https://127.0.0.1:${server.port}`)
    const { status, body } = await getTls(server.metadataUrl, withCertificate(undefined))
    expect(status).toBe(200)
    expect(body.token_endpoint).toBe(`https://127.0.0.1:${server.port}/token`)
    expect(body.tls_client_certificate_bound_access_tokens).toBe(true)
    expect(body.mtls_endpoint_aliases).toEqual({ token_endpoint: server.tokenEndpoint })
    expect(body.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'tls_client_auth', 'self_signed_tls_client_auth']),
    )
    expect(body.dpop_signing_alg_values_supported).toContain('ES256')
  })

  it('tls_client_auth: a CA-issued certificate with the registered subject gets a token bound to it', async () => {
    const { status, body } = await ask('billing', billing)
    expect(status).toBe(200)
    expect(body.token_type).toBe('Bearer')
    const jwks = (await getTls(server.jwksUri, withCertificate(undefined))).body as unknown as JSONWebKeySet
    const { payload } = await jwtVerify(body.access_token as string, createLocalJWKSet(jwks), {
      issuer: server.issuer,
    })
    expect(payload.client_id).toBe('billing')
    expect(payload.cnf).toEqual({ 'x5t#S256': billing.thumbprint })
  })

  it('tls_client_auth: matches the subject DN case-insensitively, whatever its spacing', async () => {
    const cert = await pki.issueClient('Shipping Service', { organization: 'Acme  Corp' })
    server.addClient({
      clientId: 'shipping',
      scopes: [],
      tlsClientAuth: { subjectDn: 'CN=shipping service,O=ACME CORP' },
    })
    expect((await ask('shipping', cert)).status).toBe(200)
  })

  it.each<[string, () => Promise<ClientCertificate | undefined>, RegExp]>([
    ['no certificate', async () => undefined, /certificate is required/],
    [
      'a CA-issued certificate of another subject',
      () => pki.issueClient('billing-impostor'),
      /does not match/,
    ],
    [
      'a self-signed certificate with the registered subject',
      () => pki.selfSigned('billing'),
      /does not match/,
    ],
    [
      'a certificate with that subject from another CA',
      async () => (await createTestCertificates()).issueClient('billing'),
      /does not match/,
    ],
    [
      'an expired certificate from the CA',
      () => pki.issueClient('billing', { validForDays: -1 }),
      /not valid/,
    ],
  ])('tls_client_auth refuses %s with 401 invalid_client', async (_, make, description) => {
    const { status, body } = await ask('billing', await make())
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_client')
    expect(body.error_description).toMatch(description)
  })

  it('self_signed_tls_client_auth: the registered certificate gets a token bound to it', async () => {
    const { status, body } = await ask('robot', robot)
    expect(status).toBe(200)
    expect(decodeJwt(body.access_token as string).cnf).toEqual({ 'x5t#S256': robot.thumbprint })
  })

  it.each<[string, () => Promise<ClientCertificate | undefined>]>([
    ['no certificate', async () => undefined],
    ['another self-signed certificate with the same subject', () => pki.selfSigned('robot')],
    ['a CA-issued certificate', () => pki.issueClient('robot')],
  ])('self_signed_tls_client_auth refuses %s', async (_, make) => {
    const { status, body } = await ask('robot', await make())
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_client')
  })

  it('self_signed_tls_client_auth refuses the registered certificate once it has expired', async () => {
    const expired = await pki.selfSigned('old-robot', { validForDays: -1 })
    server.addClient({ clientId: 'old-robot', scopes: [], selfSignedCertificate: expired.cert })
    const { status, body } = await ask('old-robot', expired)
    expect(status).toBe(401)
    expect(body.error_description).toMatch(/not valid at this time/)
  })

  it('binds the token of a client_secret_basic client that presents a certificate, and only then', async () => {
    const headers = { authorization: basic('secretive', 's3cret') }
    const bound = await postTls(server.tokenEndpoint, GRANT, withCertificate(billing), headers)
    expect(bound.status).toBe(200)
    expect(decodeJwt(bound.body.access_token as string).cnf).toEqual({ 'x5t#S256': billing.thumbprint })
    const plain = await postTls(server.tokenEndpoint, GRANT, withCertificate(undefined), headers)
    expect(plain.status).toBe(200)
    expect(decodeJwt(plain.body.access_token as string).cnf).toBeUndefined()
  })

  it('does not let a certificate client authenticate with nothing else: a secret client needs its secret', async () => {
    const { status, body } = await ask('secretive', billing)
    expect(status).toBe(401)
    expect(body.error).toBe('invalid_client')
  })

  it('binds to the DPoP key alone when the request also carries a proof (one binding per token)', async () => {
    const key = await proofKey()
    const { status, body } = await ask('billing', billing, {
      dpop: await makeProof(key, server.tokenEndpoint),
    })
    expect(status).toBe(200)
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token as string).cnf).toEqual({
      jkt: await calculateJwkThumbprint(key.publicJwk, 'sha256'),
    })
  })

  it('sees the certificate on every connection of an agent that caches TLS sessions', async () => {
    const agent = new Agent({ keepAlive: false, maxCachedSessions: 10 })
    try {
      for (let i = 0; i < 3; i++) {
        const { status, body } = await postTls(
          server.tokenEndpoint,
          { ...GRANT, client_id: 'billing' },
          { ...withCertificate(billing), agent },
        )
        expect(status).toBe(200)
        expect(decodeJwt(body.access_token as string).cnf).toEqual({ 'x5t#S256': billing.thumbprint })
      }
    } finally {
      agent.destroy()
    }
  })
})

describe('createAuthServer({ tls }) options', () => {
  let pki: TestCertificates
  beforeAll(async () => {
    pki = await createTestCertificates()
  })

  it('binds nothing with boundAccessTokens: false, and says so', async () => {
    const billing = await pki.issueClient('billing')
    const server = await createAuthServer({
      tls: { ...pki.server, ca: pki.ca, boundAccessTokens: false },
      clients: [{ clientId: 'billing', scopes: [], tlsClientAuth: { subjectDn: billing.subjectDn } }],
    })
    try {
      const tls = { ca: pki.ca, cert: billing.cert, key: billing.key }
      const { status, body } = await postTls(server.tokenEndpoint, { ...GRANT, client_id: 'billing' }, tls)
      expect(status).toBe(200)
      expect(decodeJwt(body.access_token as string).cnf).toBeUndefined()
      expect(server.metadata.tls_client_certificate_bound_access_tokens).toBe(false)
    } finally {
      await server.close()
    }
  })

  it('refuses what it cannot use, naming it', async () => {
    const robot = await pki.selfSigned('robot')
    await expect(createAuthServer({ tls: { ...pki.server, cert: 'nope' } })).rejects.toThrow(/"tls.cert"/)
    await expect(createAuthServer({ tls: { ...pki.server, key: 5 as never } })).rejects.toThrow(/"tls.key"/)
    await expect(createAuthServer({ tls: { ...pki.server, ca: 'not a certificate' } })).rejects.toThrow(
      /"tls.ca"/,
    )
    await expect(createAuthServer({ tls: { ...pki.server, boundAccessTokens: 1 as never } })).rejects.toThrow(
      /"tls.boundAccessTokens"/,
    )
    await expect(
      createAuthServer({ clients: [{ clientId: 'robot', scopes: [], selfSignedCertificate: robot.cert }] }),
    ).rejects.toThrow(/needs the "tls" option/)
    const server = await createAuthServer({ tls: pki.server })
    try {
      for (const subjectDn of ['', 'billing', 'cn=billing', 42]) {
        expect(() =>
          server.addClient({ clientId: 'x', scopes: [], tlsClientAuth: { subjectDn: subjectDn as string } }),
        ).toThrow(/"tlsClientAuth.subjectDn"/)
      }
      expect(() => server.addClient({ clientId: 'x', scopes: [], selfSignedCertificate: 'PEM?' })).toThrow(
        /"selfSignedCertificate" must be a PEM certificate/,
      )
    } finally {
      await server.close()
    }
  })
})
