/**
 * RFC 9449 §8.2 through require(): a proof whose nonce is in its last window
 * passes, and the answer carries the next nonce, whatever the handler returns
 * (c.json, or a Response it builds itself). A real Hono app driven by
 * app.request, tokens from the local authorization server.
 */
import { createVerifier } from '@m2m-guard/core'
import { createGuard } from '@m2m-guard/hono'
import type { AuthServer } from '@m2m-guard/testing'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, startIssuer } from '../../../test/support/counting-verifier.js'
import { createDpopKey, type DpopKey } from '../../../test/support/proofs.js'

const SECRET = 'a nonce secret of thirty-two bytes or more'
const ORIGIN = 'https://orders.example'
const now = Date.now()
let server: AuthServer
let key: DpopKey
beforeAll(async () => {
  server = await startIssuer()
  key = await createDpopKey('ES256')
})
afterAll(() => server.close())

/** The API at `clock`: one nonce window (60 s) later, a nonce it handed out is in its last window. */
function appAt(clock: number): Hono {
  const verifier = createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    clock: () => clock,
    dpop: { nonce: { secret: SECRET } },
  })
  const guard = createGuard(verifier)
  const app = new Hono()
  app.get('/json', guard.require(), (c) => c.json({ client: c.var.auth.clientId }))
  app.get('/raw', guard.require(), () => new Response('ok', { headers: { 'content-type': 'text/plain' } }))
  app.get('/raw-immutable', guard.require(), () => Response.redirect(`${ORIGIN}/elsewhere`, 302))
  return app
}

async function call(app: Hono, path: string, token: string, nonce?: string) {
  const proof = await key.proof(
    { method: 'GET', url: `${ORIGIN}${path}`, token, iat: Math.floor(now / 1000) },
    nonce === undefined ? {} : { nonce },
  )
  return app.request(`${ORIGIN}${path}`, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
}

describe('DPoP-Nonce on a successful answer', () => {
  it.each(['/json', '/raw', '/raw-immutable'])('%s carries the next nonce', async (path) => {
    const token = await server.mint({ client_id: 'billing', cnf: { jkt: key.jkt } })
    const first = await call(appAt(now), path, token)
    expect(first.status).toBe(401)
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const later = await call(appAt(now + 60_000), path, token, nonce as string)
    expect(later.status).toBe(path === '/raw-immutable' ? 302 : 200)
    const next = later.headers.get('dpop-nonce')
    expect(next).toBeTruthy()
    expect(next).not.toBe(nonce)
  })
})
