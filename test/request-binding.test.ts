/**
 * What the adapters put in RequestInfo beyond headers, over real sockets:
 * the TLS peer certificate (HTTPS with client certificates, also on a
 * resumed TLS session) and the URL as the client addressed it (each
 * framework's own trust-proxy setting for X-Forwarded-Proto/-Host).
 */
import { Agent, request as httpsRequest } from 'node:https'
import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKey, type DpopKey, makeCertificate, type TestCertificate } from './support/proofs.js'
import { type Service, TARGETS, type Verifiers } from './support/services.js'

const now = Date.now()
const nowSeconds = Math.floor(now / 1000)
let issuer: AuthServer
let ca: TestCertificate
let server: TestCertificate
let client: TestCertificate
let other: TestCertificate
let key: DpopKey

beforeAll(async () => {
  issuer = await createAuthServer({ audience: 'https://orders.example', clock: () => now })
  ca = makeCertificate('m2m-guard test CA', undefined, { ca: true })
  server = makeCertificate('127.0.0.1', ca, { san: 'IP:127.0.0.1' })
  client = makeCertificate('billing', ca)
  other = makeCertificate('someone else', ca)
  key = await createDpopKey('ES256')
})
afterAll(() => issuer.close())

function verifiers(): Verifiers {
  const common = {
    issuer: issuer.issuer,
    audience: 'https://orders.example',
    jwksUri: issuer.jwksUri,
    clock: () => now,
  }
  return {
    main: createVerifier(common),
    cold: createVerifier(common),
    bound: {
      '/mtls-socket': createVerifier({ ...common, mtls: {} }),
      '/dpop': createVerifier({ ...common, dpop: {} }),
    },
  }
}

interface Answer {
  status: number
  body: unknown
  reused: boolean
}

/** GET over a fresh TLS connection through `agent` (which keeps TLS sessions for resumption). */
function get(url: string, agent: Agent, authorization: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = httpsRequest(
      `${url}/mtls-socket`,
      { agent, headers: { authorization, connection: 'close' } },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const socket = response.socket as unknown as { isSessionReused(): boolean }
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            reused: socket.isSessionReused(),
          })
        })
      },
    )
    call.setTimeout(10_000, () => call.destroy(new Error('timed out')))
    call.on('error', reject)
    call.end()
  })
}

const adapters = TARGETS.filter((target) => ['express', 'koa', 'fastify', 'nestjs'].includes(target.adapter))

describe.each(adapters)('$name over HTTPS with client certificates', (target) => {
  let service: Service
  const agents: Agent[] = []
  const agent = (certificate?: TestCertificate) => {
    const made = new Agent({
      ca: ca.pem,
      ...(certificate === undefined ? {} : { cert: certificate.pem, key: certificate.keyPem }),
      keepAlive: false,
      maxCachedSessions: 10,
    })
    agents.push(made)
    return made
  }
  beforeAll(async () => {
    service = await target.start(verifiers(), {
      tls: { key: server.keyPem, cert: server.pem, ca: ca.pem, requestCert: true, rejectUnauthorized: false },
    })
  })
  afterAll(async () => {
    for (const made of agents) made.destroy()
    await service.close()
  })

  const bound = () =>
    issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': client.thumbprint } })

  it('a certificate-bound token passes with its certificate, also on a resumed TLS session', async () => {
    const authorization = `Bearer ${await bound()}`
    const withCertificate = agent(client)
    const first = await get(service.url, withCertificate, authorization)
    expect(first).toEqual({
      status: 200,
      body: { clientId: 'billing', scopes: ['orders:read'] },
      reused: false,
    })
    const second = await get(service.url, withCertificate, authorization)
    expect(second).toEqual({
      status: 200,
      body: { clientId: 'billing', scopes: ['orders:read'] },
      reused: true,
    })
  })

  it('another certificate is refused, on a fresh and on a resumed session', async () => {
    const authorization = `Bearer ${await bound()}`
    const stranger = agent(other)
    const refused = {
      status: 401,
      body: {
        error: 'invalid_token',
        error_description: 'the client certificate does not match the token binding',
      },
    }
    expect(await get(service.url, stranger, authorization)).toEqual({ ...refused, reused: false })
    expect(await get(service.url, stranger, authorization)).toEqual({ ...refused, reused: true })
  })

  it('no certificate is certificate_missing, also after a resumed session', async () => {
    const authorization = `Bearer ${await bound()}`
    const anonymous = agent()
    const refused = {
      status: 401,
      body: {
        error: 'invalid_token',
        error_description: 'the token is bound to a client certificate; none was presented',
      },
    }
    expect(await get(service.url, anonymous, authorization)).toEqual({ ...refused, reused: false })
    expect(await get(service.url, anonymous, authorization)).toEqual({ ...refused, reused: true })
  })
})

describe.each(adapters)('$name: the URL a DPoP proof must name', (target) => {
  const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
  const dpopHeaders = async (url: string) => {
    const token = await issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { jkt: key.jkt } })
    const proof = await key.proof({ method: 'GET', url, token, iat: nowSeconds })
    return { authorization: `DPoP ${token}`, dpop: proof }
  }

  it('without trust proxy (the default), X-Forwarded-* are ignored: the URL is the one the socket saw', async () => {
    const service = await target.start(verifiers())
    try {
      const direct = await request(service.url)
        .get('/dpop')
        .set({ ...proxied, ...(await dpopHeaders(`${service.url}/dpop`)) })
      expect(direct.status).toBe(200)
      const claimed = await request(service.url)
        .get('/dpop')
        .set({ ...proxied, ...(await dpopHeaders('https://api.example.com/dpop')) })
      expect([claimed.status, claimed.body.error_description]).toEqual([
        401,
        "DPoP proof 'htu' does not match the request URL",
      ])
    } finally {
      await service.close()
    }
  })

  it('with the framework trusting the proxy, X-Forwarded-Proto and -Host make the URL', async () => {
    const service = await target.start(verifiers(), { trustProxy: true })
    try {
      const proxiedCall = await request(service.url)
        .get('/dpop?page=2')
        .set({ ...proxied, ...(await dpopHeaders('https://api.example.com/dpop')) })
      expect(proxiedCall.status).toBe(200)
      const withPort = await request(service.url)
        .get('/dpop')
        .set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com:8443' })
        .set(await dpopHeaders('https://api.example.com:8443/dpop'))
      expect(withPort.status).toBe(200)
    } finally {
      await service.close()
    }
  })
})
