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
import { REALM, SCENARIOS } from './scenarios.js'
import { type Service, TARGETS, type Verifiers } from './support/services.js'

// Time is frozen: the issuer signs and the verifiers check at the same instant, every run.
const now = Date.now()
let issuer: AuthServer
let unreachable: string

beforeAll(async () => {
  issuer = await createAuthServer({ audience: 'https://orders.example', clock: () => now })
  // A port that was just free and is now closed: connections to it are refused at once.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  unreachable = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/jwks`
  await new Promise((resolve) => probe.close(resolve))
})
afterAll(() => issuer.close())

/** Fresh verifiers per service, so every adapter starts cold. */
function verifiers(): Verifiers {
  const common = { issuer: issuer.issuer, audience: 'https://orders.example', clock: () => now }
  return {
    main: createVerifier({ ...common, jwksUri: issuer.jwksUri, realm: REALM }),
    cold: createVerifier({ ...common, jwksUri: unreachable }),
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
