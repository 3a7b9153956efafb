/**
 * require() on Workers: the key refresh a request starts in the background is
 * handed to c.executionCtx.waitUntil, so workerd does not cancel it once the
 * answer is sent; where there is no ExecutionContext (Node: the getter
 * throws) nothing changes. A real Hono app driven by app.request(path, init,
 * env, ctx), against the local authorization server; the refresh is held at a
 * gate the test opens, and the keys go stale by the verifier's clock.
 */

import { AuthError, createGuard, type Verifier } from '@m2m-guard/hono'
import type { AuthServer } from '@m2m-guard/testing'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executionContext, oddContexts, staleKeys } from '../../../test/support/background-refresh.js'
import { startIssuer } from '../../../test/support/counting-verifier.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const env = { KV: 'binding' }

function appOf(verifier: Verifier, onError: 'respond' | 'throw' = 'respond'): Hono {
  const guard = createGuard({ verifier, onError })
  const app = new Hono()
  app.get('/orders', guard.require({ scopes: ['orders:read'] }), (c) =>
    c.json({ client: c.var.auth.clientId }),
  )
  app.get('/broken', guard.require(), () => {
    throw new Error('handler failed')
  })
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.cause instanceof AuthError) return error.getResponse()
    return c.text('internal error', 500)
  })
  return app
}

async function get(app: Hono, path: string, ctx: unknown, scope = 'orders:read') {
  const token = await server.mint({ client_id: 'billing', scope })
  const init = { headers: { authorization: `Bearer ${token}` } }
  // Hono types its ExecutionContext; odd ones are the point here.
  return app.request(path, init, env, ctx as never)
}

describe('require hands background work to c.executionCtx.waitUntil', () => {
  it('hands nothing over while the keys are fresh', async () => {
    const { verifier } = await staleKeys(server)
    const app = appOf(verifier)
    const { ctx, handed } = executionContext()
    expect((await get(app, '/orders', ctx)).status).toBe(200)
    expect((await get(app, '/orders', ctx, 'reports:read')).status).toBe(403)
    expect(handed).toEqual([])
  })

  it('hands over the refresh stale keys started; it fulfils once the keys are fetched again', async () => {
    const { verifier, makeStale, hold } = await staleKeys(server)
    const app = appOf(verifier)
    const { ctx, handed } = executionContext()
    makeStale()
    const gate = hold()
    const fetchedBefore = server.requests.jwks

    const response = await get(app, '/orders', ctx)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ client: 'billing' })
    expect(handed).toHaveLength(1)
    expect(handed[0]).toBeInstanceOf(Promise)
    await gate.arrived
    gate.release()
    await expect(handed[0]).resolves.toBeUndefined()
    expect(server.requests.jwks).toBe(fetchedBefore + 1)
    expect(verifier.keyStatus()).toMatchObject({ fresh: true, lastError: undefined })
    await get(app, '/orders', ctx)
    expect(handed).toHaveLength(1)
  })

  it.each(['respond', 'throw'] as const)(
    'hands it over on refusals (onError %s), and when the handler throws',
    async (onError) => {
      const { verifier, makeStale, hold } = await staleKeys(server)
      const app = appOf(verifier, onError)
      const { ctx, handed } = executionContext()
      makeStale()
      const gate = hold()
      const refused = await get(app, '/orders', ctx, 'reports:read')
      expect(refused.status).toBe(403)
      expect(await refused.json()).toMatchObject({ error: 'insufficient_scope' })
      expect((await get(app, '/broken', ctx)).status).toBe(500)
      expect(handed).toHaveLength(2)
      await gate.arrived
      gate.release()
      await Promise.all(handed)
      expect(verifier.keyStatus().fresh).toBe(true)
    },
  )

  it.each(oddContexts)('a ctx that is %s changes nothing in the answer', async (_label, odd) => {
    // undefined: no ExecutionContext at all, as on Node, where c.executionCtx throws.
    const { verifier, makeStale, hold } = await staleKeys(server)
    const app = appOf(verifier)
    makeStale()
    const gate = hold()
    const response = await get(app, '/orders', odd)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ client: 'billing' })
    expect(verifier.backgroundWork()).toBeInstanceOf(Promise)
    gate.release()
    await verifier.backgroundWork()
    expect(verifier.keyStatus().fresh).toBe(true)
  })
})
