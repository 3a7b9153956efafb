/**
 * Fault injection: a real Express service guarded by m2m-guard, in front of a
 * real local authorization server (@m2m-guard/testing) whose JWKS and metadata
 * endpoints are broken on purpose: slow, hanging, reset, 5xx, HTML, invalid
 * JSON, oversized, thousands of keys, duplicated kids, redirects, keys removed.
 *
 * For each fault: what the client gets (DESIGN.md: 503 with Retry-After when
 * no keys can be had, 401 for a bad token), that the process survives, and
 * that recovery is automatic once the issuer answers again. Time that matters
 * to the verifier (cooldown, freshness) is an injected clock; the only real
 * waits are the 200 ms fetch timeout that a hanging issuer must run into.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createVerifier,
  type SingleIssuerOptions,
  type Verifier,
  type VerifierEvent,
  type VerifierOptions,
} from '@m2m-guard/core'
import { createGuard } from '@m2m-guard/express'
import { type AuthServer, type AuthServerOptions, createAuthServer, type Fault } from '@m2m-guard/testing'
import express from 'express'
import request from 'supertest'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

const AUDIENCE = 'https://orders.example'
const COOLDOWN = 1_000
const TIMEOUT = 200

let now = Date.now()
const clock = () => now
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)

interface Api {
  readonly url: string
  readonly verifier: Verifier
  readonly events: VerifierEvent[]
  close(): Promise<void>
}

const open: Array<{ close(): Promise<void> }> = []

/** An Express service on 127.0.0.1:0 with one guarded route, and its verifier. */
async function startApi(
  options: Partial<VerifierOptions> & Pick<SingleIssuerOptions, 'issuer'>,
): Promise<Api> {
  const events: VerifierEvent[] = []
  const verifier = createVerifier({
    audience: AUDIENCE,
    jwksCache: { timeout: TIMEOUT, cooldown: COOLDOWN },
    clock,
    onEvent: (event) => events.push(event),
    ...options,
  })
  const guard = createGuard(verifier)
  const app = express()
  app.get('/orders', guard.require({ scopes: ['orders:read'] }), (req, res) => {
    res.json({ client: req.auth.clientId })
  })
  app.get('/health', (_req, res) => res.json({ ok: true }))
  const server = await listen(createServer(app))
  const api = { url: server.url, verifier, events, close: server.close }
  open.push(api)
  return api
}

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

async function startIssuer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const issuer = await createAuthServer({ audience: AUDIENCE, clock, tokenLifetime: 3600, ...options })
  open.push(issuer)
  return issuer
}

/** A server that must never be contacted: counts whatever reaches it. */
async function startBystander(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0
  const server = await listen(
    createServer((_, response) => {
      hits++
      response.setHeader('content-type', 'application/json')
      response.end('{"keys":[]}')
    }),
  )
  const bystander = { ...server, hits: () => hits }
  open.push(bystander)
  return bystander
}

const get = (api: Api, token: string) =>
  request(api.url).get('/orders').set('Authorization', `Bearer ${token}`)

function expectUnavailable(response: request.Response): void {
  expect(response.status).toBe(503)
  expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1)
  expect(response.headers['www-authenticate']).toBeUndefined()
  expect(response.body).toEqual({
    error: 'temporarily_unavailable',
    error_description: 'signing keys are temporarily unavailable',
  })
}

function expectInvalidToken(response: request.Response): void {
  expect(response.status).toBe(401)
  expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/)
  expect(response.body.error).toBe('invalid_token')
}

/** Waits for background work (a refresh the verifier started) to land; bounded. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
beforeEach(() => {
  now = Date.now()
})
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()))
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled).toEqual([])
})

// Every way the JWKS endpoint can break, with what the issuer must not be able to make us do.
const JWKS_FAULTS: Array<[Fault, string]> = [
  ['down', '503 Service Unavailable'],
  ['status500', '500 Internal Server Error'],
  ['slow', 'answers after 1 s, past the 200 ms timeout'],
  ['hang', 'never answers'],
  ['stall', 'sends headers and half the body, then nothing'],
  ['reset', 'resets the connection'],
  ['garbage', '200 with bytes that are not JSON'],
  ['html', '200 with an HTML login page'],
  ['invalid', '200 with JSON of the wrong shape'],
  ['oversized', '200 with 4 MiB of valid JSON'],
]

describe('JWKS faults with nothing cached: 503 + Retry-After, then automatic recovery', () => {
  it.each(JWKS_FAULTS)('%s (%s)', async (fault) => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const token = await issuer.mint({ scope: 'orders:read' })
    issuer.setFault('jwks', fault, { delayMs: 1000 })

    const started = performance.now()
    expectUnavailable(await get(api, token))
    expect(performance.now() - started).toBeLessThan(TIMEOUT + 1500)
    // Within the cooldown the issuer is not asked again, however many requests come.
    const burst = await Promise.all(Array.from({ length: 10 }, () => get(api, token)))
    for (const response of burst) expectUnavailable(response)
    expect(issuer.requests.jwks).toBe(1)
    // The process is fine: other routes answer.
    expect((await request(api.url).get('/health')).status).toBe(200)

    // The issuer comes back; once the cooldown has passed, the next request fetches and passes.
    issuer.setFault('jwks', null)
    now += COOLDOWN
    const recovered = await get(api, token)
    expect(recovered.status).toBe(200)
    expect(recovered.body).toEqual({ client: 'test-client' })
    expect(issuer.requests.jwks).toBe(2)
    expect(api.verifier.keyStatus()).toMatchObject({ ready: true, fresh: true, lastError: undefined })
  })

  it('concurrent requests during a hang share one fetch and all get 503 within the timeout', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const token = await issuer.mint({ scope: 'orders:read' })
    issuer.setFault('jwks', 'hang')
    const started = performance.now()
    const responses = await Promise.all(Array.from({ length: 25 }, () => get(api, token)))
    for (const response of responses) expectUnavailable(response)
    expect(performance.now() - started).toBeLessThan(TIMEOUT + 1500)
    expect(issuer.requests.jwks).toBe(1)
  })

  it('an unsigned or HMAC token is a 401 during the outage, and costs no fetch', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    issuer.setFault('jwks', 'down')
    expectInvalidToken(await get(api, await issuer.mintUnsigned({ scope: 'orders:read' })))
    expectInvalidToken(await get(api, await issuer.mintHmacWithPublicKey({ scope: 'orders:read' })))
    expect(issuer.requests.jwks).toBe(0)
  })

  it('the issuer process is gone (connection refused), then restarts on the same port', async () => {
    const first = await startIssuer()
    const { port } = first
    const api = await startApi({ issuer: first.issuer, jwksUri: first.jwksUri })
    // Minted before the issuer goes: its `iss` selects the issuer whose keys cannot be had.
    const early = await first.mint({ scope: 'orders:read' })
    await first.close()
    expectUnavailable(await get(api, early))

    const second = await startIssuer({ port })
    now += COOLDOWN
    const recovered = await get(api, await second.mint({ scope: 'orders:read' }))
    expect(recovered.status).toBe(200)
  })
})

describe('metadata (discovery) faults: 503, then automatic recovery', () => {
  it.each(JWKS_FAULTS)('%s (%s)', async (fault) => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer }) // no jwksUri: discovered
    const token = await issuer.mint({ scope: 'orders:read' })
    issuer.setFault('metadata', fault, { delayMs: 1000 })

    expectUnavailable(await get(api, token))
    // RFC 8414 location, then the OpenID one; both broken; neither asked again within the cooldown.
    expect(issuer.requests.metadata).toBe(2)
    expectUnavailable(await get(api, token))
    expect(issuer.requests.metadata).toBe(2)
    expect(issuer.requests.jwks).toBe(0)

    issuer.setFault('metadata', null)
    now += COOLDOWN
    expect((await get(api, token)).status).toBe(200)
    expect(issuer.requests.jwks).toBe(1)
  })

  it('metadata naming another issuer is refused: keys are never taken from it', async () => {
    const issuer = await startIssuer()
    const bystander = await startBystander()
    const api = await startApi({ issuer: issuer.issuer })
    issuer.setFault('metadata', {
      status: 200,
      body: { issuer: bystander.url, jwks_uri: `${bystander.url}/jwks` },
    })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expect(bystander.hits()).toBe(0)
  })

  it('metadata whose jwks_uri breaks the URL policy is refused before any request', async () => {
    const issuer = await startIssuer()
    const bystander = await startBystander()
    const api = await startApi({ issuer: issuer.issuer })
    const { port } = new URL(bystander.url)
    for (const jwksUri of [
      `http://0.0.0.0:${port}/jwks`,
      `ftp://127.0.0.1:${port}/jwks`,
      'jwks',
      'file:///etc/passwd',
    ]) {
      issuer.setFault('metadata', { status: 200, body: { issuer: issuer.issuer, jwks_uri: jwksUri } })
      now += COOLDOWN
      expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    }
    expect(bystander.hits()).toBe(0)
  })
})

describe('hostile key sets', () => {
  const spareKey = (kid: string): Record<string, unknown> => ({
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
    kid,
    alg: 'ES256',
    use: 'sig',
  })

  it('thousands of keys: the whole set is refused (size cap), even with the right key in it', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const filler = spareKey('filler')
    const keys = [
      issuer.keys.current.publicJwk,
      ...Array.from({ length: 5000 }, (_, i) => ({ ...filler, kid: `k${i}` })),
    ]
    issuer.setFault('jwks', { status: 200, body: { keys } })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expect(api.events).toContainEqual(
      expect.objectContaining({ type: 'keys_fetch_failed', error: expect.stringMatching(/byte cap/) }),
    )

    issuer.setFault('jwks', null)
    now += COOLDOWN
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
  })

  it('more keys than maxKeys within the size cap: refused as a whole', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const filler = spareKey('filler')
    const keys = [
      issuer.keys.current.publicJwk,
      ...Array.from({ length: 150 }, (_, i) => ({ ...filler, kid: `k${i}` })),
    ]
    issuer.setFault('jwks', { status: 200, body: { keys } })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expect(api.events).toContainEqual(
      expect.objectContaining({
        type: 'keys_fetch_failed',
        error: expect.stringMatching(/more than the 100 allowed/),
      }),
    )
  })

  it('duplicated kids: the genuine key still verifies, a foreign signature under that kid does not', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const { kid, publicJwk } = issuer.keys.current
    // An impostor key first, the genuine one second, both under the same kid and alg.
    const impostor = {
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
      kid,
      alg: 'RS256',
      use: 'sig',
    }
    issuer.setFault('jwks', { status: 200, body: { keys: [impostor, publicJwk, publicJwk] } })
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
    expectInvalidToken(await get(api, await issuer.mint({ scope: 'orders:read' }, { key: 'foreign', kid })))
    expect(issuer.requests.jwks).toBe(1)
  })

  it('keys marked for encryption, private keys and symmetric keys are never used to verify', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const { kid, publicJwk } = issuer.keys.current
    issuer.setFault('jwks', {
      status: 200,
      body: {
        keys: [
          { ...publicJwk, use: 'enc' },
          { kty: 'oct', kid, k: Buffer.from(JSON.stringify(publicJwk)).toString('base64url') },
        ],
      },
    })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expectInvalidToken(
      await get(api, await issuer.mintHmacWithPublicKey({ scope: 'orders:read' }, { format: 'jwk' })),
    )
    expect(api.events.filter((event) => event.type === 'key_skipped')).toHaveLength(2)
  })
})

describe('redirects', () => {
  it.each([
    ['another port on the same host', (bystander: string) => `${bystander}/jwks`],
    [
      'another host name for the same server',
      (_: string, issuer: AuthServer) => `http://localhost:${issuer.port}/jwks`,
    ],
  ])('a JWKS redirect to %s is not followed', async (_, target) => {
    const issuer = await startIssuer()
    const bystander = await startBystander()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    issuer.setFault('jwks', { status: 302, headers: { location: target(bystander.url, issuer) } })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expect(bystander.hits()).toBe(0)
    expect(api.events).toContainEqual(
      expect.objectContaining({ type: 'keys_fetch_failed', error: expect.stringMatching(/another origin/) }),
    )
  })

  it('a metadata redirect to another host is not followed', async () => {
    const issuer = await startIssuer()
    const bystander = await startBystander()
    const api = await startApi({ issuer: issuer.issuer })
    issuer.setFault('metadata', { status: 301, headers: { location: `${bystander.url}/metadata` } })
    expectUnavailable(await get(api, await issuer.mint({ scope: 'orders:read' })))
    expect(bystander.hits()).toBe(0)
  })

  it('a same-origin redirect is followed; a redirect loop is cut after 3 hops', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    issuer.queueResponse('jwks', { status: 307, headers: { location: '/jwks?moved=1' } })
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
    expect(issuer.requests.jwks).toBe(2)

    const looping = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    issuer.setFault('jwks', { status: 302, headers: { location: '/jwks?again=1' } })
    expectUnavailable(await get(looping, await issuer.mint({ scope: 'orders:read' })))
    expect(issuer.requests.jwks).toBe(2 + 4)
  })
})

describe('an outage with keys cached: the API keeps working (stale-if-error)', () => {
  it('valid tokens pass, forged ones fail, the issuer is asked at most once per cooldown, recovery is silent', async () => {
    const issuer = await startIssuer({ jwksMaxAge: 60 })
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
    expect(issuer.requests.jwks).toBe(1)

    issuer.setFault('jwks', 'hang')
    now += 61_000 // past the key set's max-age
    // A new token (not in the verified-token cache), signed by the cached key: served from stale keys.
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(
        Array.from({ length: 5 }, async () => get(api, await issuer.mint({ scope: 'orders:read' }))),
      )
      for (const response of responses) expect(response.status).toBe(200)
      // A known kid, a foreign signature: refused from the cached keys, whatever the refresh is doing.
      const { kid } = issuer.keys.current
      expectInvalidToken(await get(api, await issuer.mint({ scope: 'orders:read' }, { key: 'foreign', kid })))
    }
    // One background refresh was started (it hangs); nothing more within the cooldown.
    expect(issuer.requests.jwks).toBe(2)
    await until(() => api.verifier.keyStatus().lastError !== undefined, 'the hanging refresh to time out')
    expect(api.verifier.keyStatus()).toMatchObject({ ready: true, fresh: false })

    // A kid never seen, during the outage: it waits for the one refetch per cooldown, which fails (503);
    // within the cooldown the next one is refused from what is cached (401), without asking the issuer.
    now += COOLDOWN
    const unknownKid = await issuer.mint({ scope: 'orders:read' }, { key: 'foreign', kid: 'rotated-maybe' })
    expectUnavailable(await get(api, unknownKid))
    expectInvalidToken(await get(api, unknownKid))
    expect(issuer.requests.jwks).toBe(3)

    // The issuer comes back: the next request after the cooldown refreshes in the background.
    issuer.setFault('jwks', null)
    now += COOLDOWN
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
    await until(() => api.verifier.keyStatus().fresh, 'the background refresh')
    expect(api.verifier.keyStatus().lastError).toBeUndefined()
    expect(issuer.requests.jwks).toBe(4)
  })

  it('past staleIfError, cached keys are dropped: 503 until the issuer answers', async () => {
    const issuer = await startIssuer({ jwksMaxAge: 60 })
    const api = await startApi({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      jwksCache: { timeout: TIMEOUT, cooldown: COOLDOWN, staleIfError: 10_000 },
    })
    const token = await issuer.mint({ scope: 'orders:read' })
    expect((await get(api, token)).status).toBe(200)
    issuer.setFault('jwks', 'down')
    now += 60_000 + 10_000
    // Even the token verified and cached before: its key has left the usable set.
    expectUnavailable(await get(api, token))
    issuer.setFault('jwks', null)
    now += COOLDOWN
    expect((await get(api, token)).status).toBe(200)
  })
})

describe('a key removed while tokens signed by it are cached', () => {
  it('those tokens stop passing as soon as the key set is refetched', async () => {
    const issuer = await startIssuer()
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const old = await issuer.mint({ scope: 'orders:read' })
    expect((await get(api, old)).status).toBe(200)
    expect((await get(api, old)).status).toBe(200) // now served from the verified-token cache

    // Key compromise: the issuer rotates and stops publishing the old key at once.
    await issuer.rotateKeys({ dropPrevious: true })
    // Until the verifier refetches, it cannot know: the cached token still passes.
    expect((await get(api, old)).status).toBe(200)

    // A token with the new kid makes the verifier refetch (cooldown permitting)…
    now += COOLDOWN
    expect((await get(api, await issuer.mint({ scope: 'orders:read' }))).status).toBe(200)
    expect(issuer.requests.jwks).toBe(2)
    // …and from then on the old token is refused, cached or not.
    const refused = await get(api, old)
    expectInvalidToken(refused)
    expect(refused.body.error_description).toBe('no key found to verify the token')
  })

  it('the same happens when the refetch comes from the key set expiring', async () => {
    const issuer = await startIssuer({ jwksMaxAge: 60 })
    const api = await startApi({ issuer: issuer.issuer, jwksUri: issuer.jwksUri })
    const old = await issuer.mint({ scope: 'orders:read' })
    expect((await get(api, old)).status).toBe(200)
    await issuer.rotateKeys({ dropPrevious: true })

    now += 61_000
    // Any request that reaches the key set (here a new token) starts the refresh.
    await get(api, await issuer.mint({ scope: 'orders:read' }))
    await until(() => issuer.requests.jwks === 2 && api.verifier.keyStatus().fresh, 'the refresh')
    expectInvalidToken(await get(api, old))
  })
})
