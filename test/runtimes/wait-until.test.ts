/**
 * The real proof, in workerd (the binary from npm): a background key refresh
 * outlives the answer only when it is handed to the Worker's ctx.waitUntil.
 * The Worker answers from stale keys at once; the JWKS server (here, on
 * 127.0.0.1) holds the refresh until the test has that answer, then serves a
 * rotated key set. Behind protect() and Hono's require(), the Worker reads it
 * to the end: the key the issuer dropped is refused, the new one passes with
 * no fetch of its own. The same gate called without ctx (as before) has its
 * refresh cancelled by workerd once the answer is sent.
 */
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type HeldJwksServer, startHeldJwks, within } from './held-jwks.js'
import { type RunningApp, startApp } from './runtimes.js'

const AUDIENCE = 'https://orders.example'
const PAST_MAX_AGE = 301_000 // the held server's Cache-Control: max-age=300
const WAIT_MS = 10_000

let main: AuthServer
let rotating: AuthServer
let jwks: HeldJwksServer
let app: RunningApp

beforeAll(async () => {
  main = await createAuthServer({ audience: AUDIENCE })
  rotating = await createAuthServer({ audience: AUDIENCE })
  jwks = await startHeldJwks(() => rotating.keys.jwks)
  const config = {
    issuer: main.issuer,
    audience: AUDIENCE,
    jwksUri: main.jwksUri,
    coldJwksUri: main.jwksUri,
    held: { issuer: rotating.issuer, jwksBase: jwks.url },
  }
  app = await startApp('workerd', config)
}, 60_000)
afterAll(async () => {
  await app?.close()
  await jwks?.close()
  await rotating?.close()
  await main?.close()
})

async function get(path: string, token?: string) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
  const response = await fetch(`${app.url}${path}`, { headers, signal: AbortSignal.timeout(WAIT_MS) })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const status = async (of: string) => (await get(`/held/status?of=${of}`)).body
// Valid for an hour: the Worker's clock runs ahead by the test's advances.
const mint = (key: 'current' | 'previous' = 'current') =>
  rotating.mint({ client_id: 'billing', scope: 'orders:read' }, { expiresIn: 3600, key })

async function advanceClock(ms: number) {
  const answer = await fetch(`${app.url}/clock?advance=${ms}`, { method: 'POST' })
  expect(answer.status).toBe(200)
}

/** Warm `name`'s keys, rotate the issuer's (the old key dropped), make them stale: the old key's token. */
async function staleAfterRotation(name: string, path: string): Promise<string> {
  const old = await mint()
  expect(await get(path, await mint()), app.output()).toMatchObject({ status: 200 })
  expect(jwks.count(name)).toBe(1)
  await rotating.rotateKeys({ dropPrevious: true })
  await advanceClock(PAST_MAX_AGE)
  return old
}

describe.each([
  ['fetch', '/held/fetch'],
  ['hono', '/held/hono'],
])('workerd, %s: the refresh handed to ctx.waitUntil completes after the answer', (name, path) => {
  it('the dropped key is refused and the new one passes, with no fetch of their own', async () => {
    const old = await staleAfterRotation(name, path)
    const held = jwks.hold(name)

    // Answered from the stale keys, the old key still among them; the refresh is held.
    expect(await get(path, old), app.output()).toMatchObject({ status: 200, body: { via: name } })
    await within(held.arrived, WAIT_MS, 'the background refresh reaching the JWKS server')
    expect(await status(name)).toMatchObject({ fresh: false })
    // A second request meanwhile joins that refresh (no fetch of its own) and hands it over too.
    // (workerd logs "IoContext dropped queued cross-context actions" for it: its waitUntil
    // waits on the first request's I/O. Harmless; the first request keeps the fetch alive.)
    expect(await get(path, await mint('previous'))).toMatchObject({ status: 200 })

    // The answer has long gone out; the Worker still reads the rotated set to the end.
    held.release()
    expect(held.answered).toBe(true)
    await vi.waitFor(async () => expect(await status(name)).toMatchObject({ fresh: true }), {
      timeout: WAIT_MS,
      interval: 50,
    })
    expect(await get(path, old)).toMatchObject({ status: 401, body: { error: 'invalid_token' } })
    expect(await get(path, await mint())).toMatchObject({ status: 200, body: { via: name } })
    expect(jwks.count(name)).toBe(2)
  }, 30_000)
})

describe('workerd, the gate without ctx (as before waitUntil)', () => {
  it('the refresh never reaches the issuer: workerd cancels it with the answer, and the dropped key keeps passing', async () => {
    // Two gates on the same rotated issuer, warm, then stale: one without ctx, one with it.
    const old = await mint()
    for (const name of ['unhanded', 'witness']) {
      expect(await get(`/held/${name}`, await mint()), app.output()).toMatchObject({ status: 200 })
    }
    await rotating.rotateKeys({ dropPrevious: true })
    await advanceClock(PAST_MAX_AGE)
    const unhanded = jwks.hold('unhanded')
    const witness = jwks.hold('witness')

    expect(await get('/held/unhanded', old)).toMatchObject({ status: 200, body: { via: 'unhanded' } })
    // The witness's refresh starts after the unhanded one, and reaches the JWKS server;
    // the unhanded one, started first, never does.
    expect(await get('/held/witness', old)).toMatchObject({ status: 200, body: { via: 'witness' } })
    await within(witness.arrived, WAIT_MS, "the witness's background refresh reaching the JWKS server")
    expect(jwks.count('unhanded')).toBe(1)

    unhanded.release()
    witness.release()
    await vi.waitFor(async () => expect(await status('witness')).toMatchObject({ fresh: true }), {
      timeout: WAIT_MS,
      interval: 50,
    })
    expect(await get('/held/witness', old)).toMatchObject({ status: 401 })
    // Without ctx: still stale, and the key the issuer dropped still passes.
    expect(unhanded.answered).toBe(false)
    const stale = await status('unhanded')
    expect(stale).toMatchObject({ ready: true, fresh: false })
    expect(stale.lastError).toBeUndefined() // not a failed fetch: one that never settles
    expect(await get('/held/unhanded', old)).toMatchObject({ status: 200, body: { via: 'unhanded' } })
    expect(jwks.count('unhanded')).toBe(1)
  }, 30_000)
})
