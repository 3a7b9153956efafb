import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, describeOrdersApi } from '../test/orders-api-contract.js'
import { buildApp, start } from './app.js'

describeOrdersApi('Fastify', {
  async serve(options) {
    const app = await buildApp(options)
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
  start,
})

// Fastify's own way to test a plugin: app.inject(), no socket.
describe('Fastify orders API through app.inject()', () => {
  let issuer: AuthServer
  beforeAll(async () => {
    issuer = await createAuthServer({ audience: AUDIENCE })
  })
  afterAll(() => issuer.close())

  it('enforces config.m2m on GET /orders and the admin plugin hook on DELETE only', async () => {
    const app = await buildApp({ verifier: createVerifier({ issuer: issuer.issuer, audience: AUDIENCE }) })
    try {
      const reader = `Bearer ${await issuer.mint({ client_id: 'reporting', scope: 'orders:read' })}`
      expect((await app.inject({ url: '/orders' })).statusCode).toBe(401)
      expect((await app.inject({ url: '/orders', headers: { authorization: reader } })).statusCode).toBe(200)
      // The admin plugin's onRequest hook stays inside it: GET /orders/:id is not affected…
      expect(
        (await app.inject({ url: '/orders/ord_1', headers: { authorization: reader } })).statusCode,
      ).toBe(200)
      // …while DELETE /orders/:id, inside it, is.
      const refused = await app.inject({
        method: 'DELETE',
        url: '/orders/ord_1',
        headers: { authorization: reader },
      })
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toEqual({
        error: 'insufficient_scope',
        error_description: "client 'reporting' is not allowed to access this resource",
      })
    } finally {
      await app.close()
    }
  })

  it('validates the body only for an authorized caller', async () => {
    const app = await buildApp({ verifier: createVerifier({ issuer: issuer.issuer, audience: AUDIENCE }) })
    try {
      const payload = { item: 'bolts', quantity: 'many' }
      expect((await app.inject({ method: 'POST', url: '/orders', payload })).statusCode).toBe(401)
      const writer = `Bearer ${await issuer.mint({ client_id: 'billing', scope: 'orders:write' })}`
      const invalid = await app.inject({
        method: 'POST',
        url: '/orders',
        payload,
        headers: { authorization: writer },
      })
      expect(invalid.statusCode).toBe(400)
    } finally {
      await app.close()
    }
  })
})
