/**
 * Runs the scenario table against every adapter on every supported major,
 * through real HTTP: each service listens on 127.0.0.1:0, supertest calls it.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BINDING_SCENARIOS, type BindingContext, REALM, SCENARIOS } from './scenarios.js'
import { createDpopKey, makeCertificate } from './support/proofs.js'
import { type Service, TARGETS, type Verifiers } from './support/services.js'

// Time is frozen: the issuer signs and the verifiers check at the same instant, every run.
const now = Date.now()
let issuer: AuthServer
let unreachable: string
let binding: Omit<BindingContext, 'url' | 'send'>

beforeAll(async () => {
  issuer = await createAuthServer({ audience: 'https://orders.example', clock: () => now })
  // A port that was just free and is now closed: connections to it are refused at once.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  unreachable = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/jwks`
  await new Promise((resolve) => probe.close(resolve))
  binding = {
    issuer,
    now: Math.floor(now / 1000),
    key: await createDpopKey('ES256'),
    thief: await createDpopKey('ES256'),
    certificates: { client: makeCertificate('billing'), other: makeCertificate('someone else') },
  }
})
afterAll(() => issuer.close())

/** Fresh verifiers per service, so every adapter starts cold. */
function verifiers(): Verifiers {
  const common = { issuer: issuer.issuer, audience: 'https://orders.example', clock: () => now }
  const bound = { ...common, jwksUri: issuer.jwksUri }
  return {
    main: createVerifier({ ...common, jwksUri: issuer.jwksUri, realm: REALM }),
    cold: createVerifier({ ...common, jwksUri: unreachable }),
    bound: {
      '/dpop': createVerifier({ ...bound, dpop: {} }),
      '/dpop-required': createVerifier({ ...bound, dpop: { required: true } }),
      '/dpop-nonce': createVerifier({
        ...bound,
        dpop: { nonce: { secret: 'a nonce secret of thirty-two bytes or more' } },
      }),
      // The same API one nonce window (60 s) later: a nonce from /dpop-nonce is in its last window there.
      '/dpop-nonce-later': createVerifier({
        ...bound,
        clock: () => now + 60_000,
        dpop: { nonce: { secret: 'a nonce secret of thirty-two bytes or more' } },
      }),
      '/mtls': createVerifier({ ...bound, mtls: { certificate: 'x-ssl-client-cert', required: true } }),
    },
  }
}

describe.each(TARGETS)('$name', (target) => {
  let service: Service
  beforeAll(async () => {
    service = await target.start(verifiers())
  })
  afterAll(() => service.close())

  const scenarios = SCENARIOS.filter((scenario) => scenario.only?.includes(target.adapter) ?? true)
  it.each(scenarios)('$name', async (scenario) => {
    const ranBefore = service.calls.length
    const call = request(service.url).get(scenario.path)
    const authorization = await scenario.authorization(issuer)
    if (authorization !== undefined) call.set('Authorization', authorization)
    const response = await call

    expect(response.status).toBe(scenario.status)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.headers['www-authenticate']).toBe(scenario.wwwAuthenticate)
    expect(response.headers['retry-after']).toBe(scenario.retryAfter)
    expect(response.body).toEqual(scenario.body)
    if (scenario.status === 200) {
      expect(service.calls.slice(ranBefore)).toEqual([scenario.path])
    } else {
      expect(service.calls.length, 'the handler must not run').toBe(ranBefore)
    }
  })
})

// DPoP and mTLS: the adapters that pass the whole request to the verifier.
describe.each(
  TARGETS.filter((target) =>
    ['express', 'koa', 'fastify', 'fetch', 'hono', 'nestjs'].includes(target.adapter),
  ),
)('$name: sender-constrained', (target) => {
  let service: Service
  beforeAll(async () => {
    service = await target.start(verifiers())
  })
  afterAll(() => service.close())

  it.each(BINDING_SCENARIOS)('$name', async (scenario) => {
    const ranBefore = service.calls.length
    const context: BindingContext = {
      ...binding,
      url: (path) => `${service.url}${path}`,
      async send(method, path, headers) {
        const call = method === 'GET' ? request(service.url).get(path) : request(service.url).post(path)
        for (const [name, value] of Object.entries(headers)) call.set(name, value)
        const response = await call
        return { status: response.status, headers: response.headers, body: response.body }
      },
    }
    const response = await scenario.run(context)
    expect(response.status).toBe(scenario.status)
    expect(response.headers['www-authenticate']).toBe(scenario.wwwAuthenticate)
    expect(response.body).toEqual(scenario.body)
    expect(response.headers['dpop-nonce'] !== undefined).toBe(scenario.dpopNonce)
    if (scenario.status === 200) expect(service.calls.at(-1)).toBe(scenario.path)
    else
      expect(service.calls.length, 'the handler must not run').toBe(
        ranBefore + (scenario.name.includes('replayed') ? 1 : 0),
      )
  })
})
