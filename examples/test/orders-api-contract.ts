/**
 * The orders API's contract, run against each framework's example through
 * real HTTP on 127.0.0.1:0 with tokens from the local issuer, so that the
 * three examples cannot drift apart or rot.
 */
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RunningServer } from '../shared/listening.js'

export const AUDIENCE = 'https://orders.example'

export interface OrdersApiUnderTest {
  /** Builds the app with these options and listens on 127.0.0.1:0. */
  serve(options: { issuer: string; audience: string } | { verifier: Verifier }): Promise<RunningServer>
  /** The example's env-driven entry point. */
  start(env: Record<string, string | undefined>): Promise<RunningServer>
}

export function describeOrdersApi(name: string, target: OrdersApiUnderTest): void {
  describe(`${name} orders API`, () => {
    let issuer: AuthServer
    let verifier: Verifier
    let api: RunningServer

    beforeAll(async () => {
      issuer = await createAuthServer({ audience: AUDIENCE })
      // One verifier for every app of this file: keys fetched once, as `{ verifier }` allows.
      verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })
    })
    afterAll(() => issuer.close())
    // A fresh app (and order store) per test.
    beforeEach(async () => {
      api = await target.serve({ verifier })
    })
    afterEach(() => api.close())

    const token = (clientId: string, scope: string) => issuer.mint({ client_id: clientId, scope })
    async function call(method: string, path: string, bearer?: string, body?: string) {
      const headers: Record<string, string> = {}
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`
      if (body !== undefined) headers['content-type'] = 'application/json'
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      })
      const text = await response.text()
      return {
        status: response.status,
        headers: response.headers,
        body: text === '' ? undefined : JSON.parse(text),
      }
    }
    const order = JSON.stringify({ item: 'bolts', quantity: 100 })

    it('GET /health is public', async () => {
      expect(await call('GET', '/health')).toMatchObject({ status: 200, body: { status: 'ok' } })
    })

    describe('GET /orders (orders:read)', () => {
      it('lists the orders for a token with orders:read', async () => {
        const response = await call('GET', '/orders', await token('reporting', 'orders:read'))
        expect(response.status).toBe(200)
        expect(response.body.orders.map((o: { id: string }) => o.id)).toEqual(['ord_1', 'ord_2'])
      })

      it('answers 401 with a bare challenge without a token', async () => {
        const response = await call('GET', '/orders')
        expect(response.status).toBe(401)
        expect(response.headers.get('www-authenticate')).toBe('Bearer')
        expect(response.body).toEqual({ error: 'unauthorized', error_description: 'authentication required' })
      })

      it.each([
        ['expired', { expiresIn: -60 }, 'token expired'],
        ['signed with a foreign key', { key: 'foreign' as const }, 'no key found to verify the token'],
      ])('answers 401 invalid_token for a token %s', async (_name, options, description) => {
        const bad = await issuer.mint({ client_id: 'reporting', scope: 'orders:read' }, options)
        const response = await call('GET', '/orders', bad)
        expect(response.status).toBe(401)
        expect(response.body).toEqual({ error: 'invalid_token', error_description: description })
      })

      it('answers 401 for a token meant for another API', async () => {
        const other = await issuer.mint({
          client_id: 'reporting',
          scope: 'orders:read',
          aud: 'https://invoices.example',
        })
        expect((await call('GET', '/orders', other)).status).toBe(401)
      })

      it('answers 403 insufficient_scope naming orders:read without it', async () => {
        const response = await call('GET', '/orders', await token('billing', 'orders:write'))
        expect(response.status).toBe(403)
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"',
        )
        expect(response.body.error).toBe('insufficient_scope')
      })
    })

    describe('POST /orders (orders:write)', () => {
      it('creates an order recorded under the calling client', async () => {
        const response = await call('POST', '/orders', await token('billing', 'orders:write'), order)
        expect(response.status).toBe(201)
        expect(response.headers.get('location')).toBe('/orders/ord_3')
        expect(response.body).toEqual({ id: 'ord_3', item: 'bolts', quantity: 100, createdBy: 'billing' })
        const read = await call('GET', '/orders/ord_3', await token('billing', 'orders:read'))
        expect(read.body).toEqual(response.body)
      })

      it('answers 403 naming orders:write to a reader', async () => {
        const response = await call('POST', '/orders', await token('reporting', 'orders:read'), order)
        expect(response.status).toBe(403)
        expect(response.headers.get('www-authenticate')).toContain('scope="orders:write"')
      })

      it('checks the token before it reads the body', async () => {
        expect((await call('POST', '/orders', undefined, '{not json')).status).toBe(401)
      })

      it('answers 400 to an authorized caller with a bad order', async () => {
        const bad = JSON.stringify({ item: '', quantity: -1 })
        expect((await call('POST', '/orders', await token('billing', 'orders:write'), bad)).status).toBe(400)
      })
    })

    describe('GET /orders/:id (orders:read or orders:admin)', () => {
      it.each(['orders:read', 'orders:admin'])('lets %s in', async (scope) => {
        const response = await call('GET', '/orders/ord_1', await token('someone', scope))
        expect(response.status).toBe(200)
        expect(response.body).toMatchObject({ id: 'ord_1', item: 'widgets' })
      })

      it('answers 403 naming both scopes to a token with neither', async () => {
        const response = await call('GET', '/orders/ord_1', await token('intruder', 'inventory:read'))
        expect(response.status).toBe(403)
        expect(response.headers.get('www-authenticate')).toContain('scope="orders:read orders:admin"')
      })

      it('answers 404 for an unknown order', async () => {
        expect((await call('GET', '/orders/ord_999', await token('reporting', 'orders:read'))).status).toBe(
          404,
        )
      })
    })

    describe('DELETE /orders/:id (client ops-console with orders:admin)', () => {
      it('deletes for ops-console with orders:admin', async () => {
        const admin = await token('ops-console', 'orders:admin')
        expect((await call('DELETE', '/orders/ord_2', admin)).status).toBe(204)
        expect((await call('DELETE', '/orders/ord_2', admin)).status).toBe(404)
        expect((await call('GET', '/orders/ord_2', admin)).status).toBe(404)
      })

      it('refuses another client even with orders:admin', async () => {
        const response = await call(
          'DELETE',
          '/orders/ord_1',
          await token('billing', 'orders:admin orders:write'),
        )
        expect(response.status).toBe(403)
        expect(response.body).toEqual({
          error: 'insufficient_scope',
          error_description: "client 'billing' is not allowed to access this resource",
        })
      })

      it('refuses ops-console without orders:admin', async () => {
        const response = await call('DELETE', '/orders/ord_1', await token('ops-console', 'orders:read'))
        expect(response.status).toBe(403)
        expect(response.headers.get('www-authenticate')).toContain('scope="orders:admin"')
      })

      it('answers 401 without a token', async () => {
        expect((await call('DELETE', '/orders/ord_1')).status).toBe(401)
      })
    })

    it('works from { issuer, audience }, discovering the keys', async () => {
      const own = await target.serve({ issuer: issuer.issuer, audience: AUDIENCE })
      try {
        const response = await fetch(`${own.url}/orders`, {
          headers: { authorization: `Bearer ${await token('reporting', 'orders:read')}` },
        })
        expect(response.status).toBe(200)
        await response.body?.cancel()
      } finally {
        await own.close()
      }
    })

    describe('start(env)', () => {
      it('listens on PORT with ISSUER and AUDIENCE', async () => {
        const started = await target.start({ ISSUER: issuer.issuer, AUDIENCE, PORT: '0' })
        try {
          expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
          const response = await fetch(`${started.url}/orders`, {
            headers: { authorization: `Bearer ${await token('reporting', 'orders:read')}` },
          })
          expect(response.status).toBe(200)
          await response.body?.cancel()
        } finally {
          await started.close()
        }
      })

      it('names a missing variable', async () => {
        await expect(target.start({ AUDIENCE, PORT: '0' })).rejects.toThrow('ISSUER is not set')
        await expect(target.start({ ISSUER: issuer.issuer, AUDIENCE, PORT: 'http' })).rejects.toThrow(/PORT/)
      })
    })
  })
}
