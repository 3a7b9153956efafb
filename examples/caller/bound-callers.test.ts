/**
 * The caller with sender-constrained tokens against the orders APIs: DPoP (each API started by its
 * own `start(env)` with DPOP=allowed and a nonce secret, so the caller goes through the nonce round
 * trip) and mutual TLS (a certificate-bound token, the API served over HTTPS asking for client
 * certificates). A stolen token, used without its key or certificate, is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVerifier } from '@m2m-guard/core'
import {
  type AuthServer,
  type ClientCertificate,
  createAuthServer,
  createTestCertificates,
  type TestCertificates,
} from '@m2m-guard/testing'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp as createExpressApp, start as startExpress } from '../express-orders/app.js'
import { start as startFastify } from '../fastify-orders/app.js'
import { createApp as createKoaApp, start as startKoa } from '../koa-orders/app.js'
import { readBindingConfig } from '../shared/env.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { AUDIENCE } from '../test/orders-api-contract.js'
import { createOrdersCaller, readCallerConfig } from './orders-client.js'

const ORDER_IDS = ['ord_1', 'ord_2']
/** The token's claims, unverified: only to show what it is bound to. */
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
const descriptionOf = async (response: Response) =>
  ((await response.json()) as { error_description?: string }).error_description

describe.each([
  ['Express', startExpress],
  ['Koa', startKoa],
  ['Fastify', startFastify],
])('a DPoP caller against the %s orders API', (_name, start) => {
  let issuer: AuthServer
  let api: RunningServer
  beforeAll(async () => {
    issuer = await createAuthServer({
      audience: AUDIENCE,
      clients: [
        { clientId: 'billing', clientSecret: 'billing-secret', scopes: ['orders:read', 'orders:write'] },
      ],
    })
    api = await start({
      ISSUER: issuer.issuer,
      AUDIENCE,
      PORT: '0',
      DPOP: 'allowed',
      DPOP_NONCE_SECRET: 'the orders API nonce secret, 32 bytes or more',
    })
  })
  afterAll(async () => {
    await api?.close()
    await issuer?.close()
  })

  it('gets a DPoP-bound token and calls with proofs, through the API’s nonce', async () => {
    const orders = createOrdersCaller(
      readCallerConfig({
        CLIENT_ID: 'billing',
        CLIENT_SECRET: 'billing-secret',
        ISSUER: issuer.issuer,
        ORDERS_URL: api.url,
        DPOP: 'true',
      }),
    )
    expect((await orders.listOrders()).map((order) => order.id)).toEqual(ORDER_IDS)
    const created = await orders.createOrder({ item: 'bolts', quantity: 5 })
    expect(created).toMatchObject({ item: 'bolts', quantity: 5, createdBy: 'billing' })
    expect(claimsOf(await orders.tokens.getToken()).cnf).toEqual({ jkt: expect.any(String) })

    const stolen = await orders.tokens.getToken()
    const asBearer = await fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${stolen}` } })
    expect([asBearer.status, await descriptionOf(asBearer)]).toEqual([
      401,
      'a DPoP-bound token must be sent with the DPoP scheme',
    ])
    const noProof = await fetch(`${api.url}/orders`, { headers: { authorization: `DPoP ${stolen}` } })
    expect([noProof.status, await descriptionOf(noProof)]).toEqual([
      401,
      'the DPoP scheme needs a DPoP proof header',
    ])
  })
})

describe('a caller with a client certificate (tls_client_auth) against the orders APIs over HTTPS', () => {
  let pki: TestCertificates
  let billing: ClientCertificate
  let stranger: ClientCertificate
  let issuer: AuthServer
  let trusting: Agent
  let withStranger: Agent
  const servers: Array<{ name: string; url: string; server: Server }> = []
  let env: Record<string, string>
  let dir: string | undefined

  beforeAll(async () => {
    pki = await createTestCertificates()
    billing = await pki.issueClient('billing')
    stranger = await pki.issueClient('stranger')
    issuer = await createAuthServer({
      audience: AUDIENCE,
      tls: { ...pki.server, ca: pki.ca },
      clients: [
        { clientId: 'billing', scopes: ['orders:read'], tlsClientAuth: { subjectDn: billing.subjectDn } },
      ],
    })
    trusting = new Agent({ connect: { ca: pki.ca } })
    withStranger = new Agent({ connect: { ca: pki.ca, cert: stranger.cert, key: stranger.key } })
    // The API fetches the issuer's keys over HTTPS from the private CA.
    const fetchTrusting: typeof fetch = (input, init) =>
      fetch(input, { ...init, dispatcher: trusting } as unknown as RequestInit)
    const options = { issuer: issuer.issuer, audience: AUDIENCE, fetch: fetchTrusting, mtls: {} }
    const tls = { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: false }
    const apps = [
      ['Express', createServer(tls, createExpressApp({ verifier: createVerifier(options) }))],
      ['Koa', createServer(tls, createKoaApp({ verifier: createVerifier(options) }).callback())],
    ] as const
    for (const [name, server] of apps) {
      const running = await listening(server.listen(0, '127.0.0.1'))
      servers.push({ name, url: running.url.replace('http:', 'https:'), server })
    }
    // The caller reads its certificate from files, as it would in production.
    dir = mkdtempSync(join(tmpdir(), 'm2m-guard-caller-'))
    for (const [file, pem] of [
      ['billing.crt', billing.cert],
      ['billing.key', billing.key],
      ['ca.crt', pki.ca],
    ] as const) {
      writeFileSync(join(dir, file), pem)
    }
    env = {
      CLIENT_ID: 'billing',
      ISSUER: issuer.issuer,
      CLIENT_CERT: join(dir, 'billing.crt'),
      CLIENT_KEY: join(dir, 'billing.key'),
      CA_CERT: join(dir, 'ca.crt'),
    }
  })
  afterAll(async () => {
    for (const { server } of servers) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    await trusting?.close()
    await withStranger?.close()
    await issuer?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('lists orders with a certificate-bound token; the token from another certificate is refused', async () => {
    for (const { name, url } of servers) {
      const orders = createOrdersCaller(readCallerConfig({ ...env, ORDERS_URL: url }))
      expect(
        (await orders.listOrders()).map((order) => order.id),
        name,
      ).toEqual(ORDER_IDS)
      const stolen = await orders.tokens.getToken()
      expect(claimsOf(stolen).cnf).toEqual({ 'x5t#S256': billing.thumbprint })

      const fromStranger = await fetch(`${url}/orders`, {
        headers: { authorization: `Bearer ${stolen}` },
        dispatcher: withStranger,
      } as unknown as RequestInit)
      expect([fromStranger.status, await descriptionOf(fromStranger)], name).toEqual([
        401,
        'the client certificate does not match the token binding',
      ])
    }
  })
})

describe('readBindingConfig', () => {
  it('reads DPOP and DPOP_NONCE_SECRET; a bad DPOP is an Error naming it', () => {
    expect(readBindingConfig({})).toEqual({})
    expect(readBindingConfig({ DPOP: 'required', DPOP_NONCE_SECRET: 's' })).toEqual({
      dpop: { required: true, nonce: { secret: 's' } },
    })
    expect(() => readBindingConfig({ DPOP: 'yes' })).toThrow(
      'DPOP must be "allowed" or "required", got "yes"',
    )
  })
})
