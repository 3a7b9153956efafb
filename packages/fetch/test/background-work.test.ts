/**
 * protect() on Workers: the key refresh a request starts in the background is
 * handed to the ExecutionContext's waitUntil (fetch(request, env, ctx)), so
 * workerd does not cancel it once the answer is sent. On Node, with a stand-in
 * ctx, against the local authorization server; the refresh is held at a gate
 * the test opens, and the keys go stale by the verifier's clock.
 */
import { createGuard } from '@m2m-guard/fetch'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { executionContext, oddContexts, staleKeys } from '../../../test/support/background-refresh.js'
import { AUDIENCE, startIssuer } from '../../../test/support/counting-verifier.js'

let server: AuthServer
beforeAll(async () => {
  server = await startIssuer()
})
afterAll(() => server.close())

const env = { KV: 'binding' }
const request = async (claims: Record<string, unknown> = { client_id: 'billing', scope: 'orders:read' }) =>
  new Request('https://orders.example/orders', {
    headers: { authorization: `Bearer ${await server.mint(claims)}` },
  })

async function staleGuard() {
  const stale = await staleKeys(server)
  const guard = createGuard(stale.verifier)
  const fetch = guard.protect<[typeof env, unknown]>({ scopes: ['orders:read'] }, (_request, auth) =>
    Response.json({ client: auth.clientId }),
  )
  return { ...stale, guard, fetch }
}

describe('protect hands background work to ctx.waitUntil', () => {
  it('hands nothing over while the keys are fresh', async () => {
    const { fetch } = await staleGuard()
    const { ctx, handed } = executionContext()
    const response = await fetch(await request(), env, ctx)
    expect(response.status).toBe(200)
    expect(await fetch(await request({ client_id: 'billing' }), env, ctx)).toHaveProperty('status', 403)
    expect(handed).toEqual([])
  })

  it('hands over the refresh stale keys started; it fulfils once the keys are fetched again', async () => {
    const { fetch, verifier, makeStale, hold } = await staleGuard()
    const { ctx, handed } = executionContext()
    makeStale()
    const gate = hold()
    const fetchedBefore = server.requests.jwks

    const response = await fetch(await request(), env, ctx)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ client: 'billing' })
    expect(handed).toHaveLength(1)
    expect(handed[0]).toBeInstanceOf(Promise)
    await gate.arrived
    expect(server.requests.jwks).toBe(fetchedBefore)

    gate.release()
    await expect(handed[0]).resolves.toBeUndefined()
    expect(server.requests.jwks).toBe(fetchedBefore + 1)
    expect(verifier.keyStatus()).toMatchObject({ fresh: true, lastError: undefined })
    // Fresh again: the next request hands nothing over.
    await fetch(await request(), env, ctx)
    expect(handed).toHaveLength(1)
  })

  it('hands it over on refusals, and when the handler throws', async () => {
    const { guard, verifier, makeStale, hold } = await staleGuard()
    const { ctx, handed } = executionContext()
    makeStale()
    const gate = hold()
    const refusing = guard.protect<[typeof env, unknown]>({ scopes: ['orders:write'] }, () => new Response())
    const refused = await refusing(await request(), env, ctx)
    expect(refused.status).toBe(403)
    const throwing = guard.protect<[typeof env, unknown]>(() => {
      throw new Error('handler failed')
    })
    await expect(throwing(await request(), env, ctx)).rejects.toThrow('handler failed')
    expect(handed).toHaveLength(2)
    await gate.arrived
    gate.release()
    await Promise.all(handed)
    expect(verifier.keyStatus().fresh).toBe(true)
  })

  it("leaves a runtime's single argument alone (Deno's info, Bun's server): only a Worker's ctx, after env", async () => {
    const { fetch, verifier, makeStale, hold } = await staleGuard()
    const { ctx, handed } = executionContext()
    makeStale()
    const gate = hold()
    const single = fetch as unknown as (request: Request, info: unknown) => Promise<Response>
    expect((await single(await request(), ctx)).status).toBe(200)
    expect(handed).toEqual([])
    gate.release()
    await verifier.backgroundWork()
  })

  it.each(oddContexts)('a ctx that is %s changes nothing in the answer', async (_label, odd) => {
    const { fetch, verifier, makeStale, hold } = await staleGuard()
    makeStale()
    const gate = hold()
    const response = await fetch(await request(), env, odd)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ client: 'billing' })
    expect(verifier.backgroundWork()).toBeInstanceOf(Promise)
    gate.release()
    await verifier.backgroundWork()
    expect(verifier.keyStatus().fresh).toBe(true)
  })

  it('once the handed work is done, a key the issuer dropped stops passing', async () => {
    const issuer = await createAuthServer({ audience: AUDIENCE })
    try {
      const { fetch, makeStale, hold } = await staleGuardOf(issuer)
      const { ctx, handed } = executionContext()
      const old = await issuer.mint({ client_id: 'billing', scope: 'orders:read' }, { expiresIn: 3600 })
      await issuer.rotateKeys({ dropPrevious: true })
      makeStale()
      const gate = hold()
      const call = (token: string) =>
        fetch(
          new Request('https://orders.example/orders', { headers: { authorization: `Bearer ${token}` } }),
          env,
          ctx,
        )
      expect((await call(old)).status).toBe(200) // stale keys still hold the old key
      await gate.arrived
      gate.release()
      await Promise.all(handed)
      const refused = await call(old)
      expect(refused.status).toBe(401)
      expect(await refused.json()).toMatchObject({ error: 'invalid_token' })
      const fetched = issuer.requests.jwks
      const fresh = await issuer.mint({ client_id: 'billing', scope: 'orders:read' })
      expect((await call(fresh)).status).toBe(200)
      expect(issuer.requests.jwks).toBe(fetched)
    } finally {
      await issuer.close()
    }
  })
})

describe('authenticate(), handing it over yourself', () => {
  it("works as the README's Worker does it", async () => {
    const { guard, makeStale, hold } = await staleGuard()
    const { ctx, handed } = executionContext()
    makeStale()
    const gate = hold()
    const auth = await guard.authenticate(await request())
    ctx.waitUntil(guard.verifier.backgroundWork() ?? Promise.resolve())
    expect(auth.clientId).toBe('billing')
    expect(handed).toHaveLength(1)
    await gate.arrived
    gate.release()
    await handed[0]
    expect(guard.verifier.keyStatus().fresh).toBe(true)
  })
})

async function staleGuardOf(issuer: AuthServer) {
  const stale = await staleKeys(issuer)
  const fetch = createGuard(stale.verifier).protect<[typeof env, unknown]>((_request, auth) =>
    Response.json({ client: auth.clientId }),
  )
  return { ...stale, fetch }
}
