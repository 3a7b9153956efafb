/**
 * The Host header is the client's. Through every adapter, a Host that carries a
 * path cannot move the URL a DPoP proof's `htu` is compared with onto another
 * route: a proof made for one endpoint never passes on another.
 */
import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKey, type DpopKey } from './support/proofs.js'
import { type Service, TARGETS } from './support/services.js'

const now = Date.now()
let issuer: AuthServer
let key: DpopKey

beforeAll(async () => {
  issuer = await createAuthServer({ audience: 'https://orders.example', clock: () => now })
  key = await createDpopKey('ES256')
})
afterAll(() => issuer.close())

// The Node servers of the fetch gate and Hono (@hono/node-server) refuse such a Host themselves.
const REFUSED_BY_THE_SERVER = new Set(['fetch', 'hono'])

describe.each(
  TARGETS.filter((target) =>
    ['express', 'koa', 'fastify', 'fetch', 'hono', 'nestjs'].includes(target.adapter),
  ),
)('$name', (target) => {
  let service: Service
  beforeAll(async () => {
    const common = { issuer: issuer.issuer, audience: 'https://orders.example', clock: () => now }
    service = await target.start({
      main: createVerifier({ ...common, jwksUri: issuer.jwksUri }),
      cold: createVerifier({ ...common, jwksUri: issuer.jwksUri }),
      bound: { '/dpop': createVerifier({ ...common, jwksUri: issuer.jwksUri, dpop: {} }) },
    })
  })
  afterAll(() => service.close())

  async function call(host: string, proofPath: string) {
    const token = await issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { jkt: key.jkt } })
    const origin = new URL(service.url)
    const proof = await key.proof({
      method: 'GET',
      url: `${origin.origin}${proofPath}`,
      token,
      iat: Math.floor(now / 1000),
    })
    return request(service.url)
      .get('/dpop')
      .set('Host', host)
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', proof)
  }

  it('the honest Host: the proof for this route passes', async () => {
    const response = await call(new URL(service.url).host, '/dpop')
    expect(response.status).toBe(200)
  })

  it.each(['?', '#', '/..'])(
    'a proof for /elsewhere with Host "…/elsewhere%s" is refused on /dpop',
    async (tail) => {
      const ranBefore = service.calls.length
      const response = await call(`${new URL(service.url).host}/elsewhere${tail}`, '/elsewhere')
      if (REFUSED_BY_THE_SERVER.has(target.adapter)) {
        expect(response.status).toBe(400)
      } else {
        expect(response.status).toBe(401)
        expect(response.body).toEqual({
          error: 'invalid_dpop_proof',
          error_description: 'the request URL is not an absolute http(s) URL',
        })
      }
      expect(service.calls.length, 'the handler must not run').toBe(ranBefore)
    },
  )
})
