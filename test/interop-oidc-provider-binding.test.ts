/**
 * Interop, resource side, for sender-constrained tokens: oidc-provider (HTTPS on 127.0.0.1, its dPoP
 * and mTLS features) issues a DPoP-bound token (`cnf.jkt`) and a certificate-bound one
 * (`cnf["x5t#S256"]`, tls_client_auth) to @m2m-guard/client, which calls an API guarded by
 * m2m-guard on Express, Koa and Fastify (both majors), served over HTTPS asking for client
 * certificates. Each token passes with its proof or certificate and is refused without it: stolen.
 */
import { X509Certificate } from 'node:crypto'
import { createTokenClient } from '@m2m-guard/client'
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { type ClientCertificate, createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { decodeJwt } from 'jose'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DPOP_ALGS } from './scenarios.js'
import { type OidcProviderServer, startOidcProvider } from './support/oidc-provider.js'
import { createDpopKey, type DpopKey } from './support/proofs.js'
import { type Service, TARGETS } from './support/services.js'

const API = 'https://orders.example.test'
let pki: TestCertificates
let billing: ClientCertificate
let stranger: ClientCertificate
let op: OidcProviderServer
let thief: DpopKey
const agents: Agent[] = []

/** A fetch trusting the test CA, presenting `certificate` if given; no TLS session resumption. */
function fetchVia(certificate?: ClientCertificate): typeof fetch {
  const connect = {
    ca: pki.ca,
    maxCachedSessions: 0,
    ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}),
  }
  const dispatcher = new Agent({ connect })
  agents.push(dispatcher)
  return (input, init) => fetch(input, { ...init, dispatcher } as unknown as RequestInit)
}

beforeAll(async () => {
  pki = await createTestCertificates()
  billing = await pki.issueClient('billing')
  stranger = await pki.issueClient('stranger')
  thief = await createDpopKey('ES256')
  op = await startOidcProvider({
    audience: API,
    tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca },
    clients: [
      { clientId: 'dpop-svc', clientSecret: 'dpop-secret', scopes: ['orders:read'], dpopBound: true },
      {
        clientId: 'mtls-svc',
        scopes: ['orders:read'],
        authMethod: 'tls_client_auth',
        subjectDn: new X509Certificate(billing.cert).subject,
        certificateBound: true,
      },
    ],
  })
})
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  await op?.close()
})

function verifiers() {
  // The verifier finds oidc-provider's keys through its discovery document, over HTTPS.
  const common = { issuer: op.issuer, audience: API, fetch: fetchVia() }
  const plain: Verifier = createVerifier(common)
  return {
    main: plain,
    cold: plain,
    bound: {
      '/dpop': createVerifier({ ...common, dpop: {} }),
      '/mtls-socket': createVerifier({ ...common, mtls: {} }),
    },
  }
}

async function answer(response: Response) {
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    body: await response.json(),
  }
}
const passed = (clientId: string) => ({
  status: 200,
  wwwAuthenticate: null,
  body: { clientId, scopes: ['orders:read'] },
})
const dpopRefused = (error: string, description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer, DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS}"`,
  body: { error, error_description: description },
})
const bearerRefused = (description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer error="invalid_token", error_description="${description}", DPoP algs="${DPOP_ALGS}"`,
  body: { error: 'invalid_token', error_description: description },
})
const certificateRefused = (description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer error="invalid_token", error_description="${description}"`,
  body: { error: 'invalid_token', error_description: description },
})

const adapters = TARGETS.filter((target) => ['express', 'koa', 'fastify'].includes(target.adapter))

describe.each(adapters)('$name: oidc-provider’s bound tokens', (target) => {
  let service: Service
  beforeAll(async () => {
    service = await target.start(verifiers(), {
      tls: {
        key: pki.server.key,
        cert: pki.server.cert,
        ca: pki.ca,
        requestCert: true,
        rejectUnauthorized: false,
      },
    })
  })
  afterAll(() => service?.close())

  it('DPoP: the client’s proofs pass; the token without its proof, as Bearer, with another key’s proof, or with a used proof is refused', async () => {
    const sent: Array<{ url: string; headers: Headers }> = []
    const trusting = fetchVia()
    const client = createTokenClient({
      issuer: op.issuer,
      clientId: 'dpop-svc',
      clientSecret: 'dpop-secret',
      scope: 'orders:read',
      resource: API,
      dpop: true,
      fetch: (input, init) => {
        sent.push({ url: String(input), headers: new Headers(init?.headers) })
        return trusting(input, init)
      },
    })
    const url = `${service.url}/dpop`
    expect(await answer(await client.fetch(url))).toEqual(passed('dpop-svc'))
    expect(await answer(await client.fetch(url))).toEqual(passed('dpop-svc'))

    const token = await client.getToken()
    expect(decodeJwt(token)).toMatchObject({
      iss: op.issuer,
      client_id: 'dpop-svc',
      cnf: { jkt: expect.any(String) },
    })
    const apiCalls = sent.filter((call) => call.url === url)
    expect(apiCalls).toHaveLength(2)
    const usedProof = apiCalls[1]?.headers.get('dpop') ?? ''
    const ran = service.calls.length

    const stolen = (headers: Record<string, string>) => trusting(url, { headers }).then(answer)
    expect(await stolen({ authorization: `DPoP ${token}` })).toEqual(
      dpopRefused('invalid_dpop_proof', 'the DPoP scheme needs a DPoP proof header'),
    )
    expect(await stolen({ authorization: `Bearer ${token}` })).toEqual(
      bearerRefused('a DPoP-bound token must be sent with the DPoP scheme'),
    )
    const thiefProof = await thief.proof({ method: 'GET', url, token })
    expect(await stolen({ authorization: `DPoP ${token}`, dpop: thiefProof })).toEqual(
      dpopRefused('invalid_token', 'DPoP proof key does not match the token binding'),
    )
    expect(await stolen({ authorization: `DPoP ${token}`, dpop: usedProof })).toEqual(
      dpopRefused('invalid_dpop_proof', 'DPoP proof has been used before'),
    )
    expect(service.calls.length, 'no refused request reached the handler').toBe(ran)
  })

  it('mTLS: the certificate-bound token passes from its certificate, and is refused from another or none', async () => {
    const client = createTokenClient({
      issuer: op.issuer,
      clientId: 'mtls-svc',
      authMethod: 'tls_client_auth',
      tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
      scope: 'orders:read',
      resource: API,
    })
    const url = `${service.url}/mtls-socket`
    expect(await answer(await client.fetch(url))).toEqual(passed('mtls-svc'))

    const token = await client.getToken()
    expect(decodeJwt(token)).toMatchObject({ iss: op.issuer, cnf: { 'x5t#S256': billing.thumbprint } })
    const ran = service.calls.length
    const headers = { authorization: `Bearer ${token}` }
    expect(await answer(await fetchVia(stranger)(url, { headers }))).toEqual(
      certificateRefused('the client certificate does not match the token binding'),
    )
    expect(await answer(await fetchVia()(url, { headers }))).toEqual(
      certificateRefused('the token is bound to a client certificate; none was presented'),
    )
    expect(service.calls.length, 'no refused request reached the handler').toBe(ran)
  })
})
