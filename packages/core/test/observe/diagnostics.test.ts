/**
 * Core's facts on node:diagnostics_channel and through observeVerifier: one
 * verification message per call with its outcome, reason and the configured
 * issuer; key fetches from a real JWKS server; the emitting verifier in every
 * message; never the token; listeners that throw change nothing; and nothing
 * is sent once unsubscribed.
 */
import diagnostics from 'node:diagnostics_channel'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, createVerifier } from '../../src/index.js'
import { CHANNELS, type ObservedEvent, observeVerifier } from '../../src/observe.js'
import { AUDIENCE, createClock, type JwksServer, startJwksServer } from '../helpers/jwks-server.js'

let server: JwksServer
const subscriptions: (() => void)[] = []

beforeAll(async () => {
  server = await startJwksServer({ keys: ['ES256'] })
})
afterAll(() => server.close())
afterEach(() => {
  for (const stop of subscriptions.splice(0)) stop()
})

/** Collects the messages of `name`, until the test ends. */
function collect(name: string): { verifier: unknown; event: ObservedEvent }[] {
  const messages: { verifier: unknown; event: ObservedEvent }[] = []
  const listener = (message: unknown) => void messages.push(message as (typeof messages)[number])
  diagnostics.subscribe(name, listener)
  subscriptions.push(() => diagnostics.unsubscribe(name, listener))
  return messages
}

function verifierOf(clock = createClock()) {
  return createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri, clock })
}

async function settle(promise: Promise<unknown>): Promise<void> {
  await promise.catch((error: unknown) => {
    if (!(error instanceof AuthError)) throw error
  })
}

describe('diagnostics channels', () => {
  it('publishes one verification per call: accepted, cached, rejected by scope and by a forged token', async () => {
    const clock = createClock()
    const verifier = verifierOf(clock)
    const other = verifierOf(clock)
    const verifications = collect(CHANNELS.verification)
    const lookups = collect(CHANNELS.tokenCache)
    const fetches = collect(CHANNELS.jwksFetch)
    const token = await server.sign({}, { nowMs: clock() })
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`

    await verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:read'] })
    await verifier.authenticate(`Bearer ${token}`)
    await settle(verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:write'] }))
    await settle(verifier.verify(forged))
    await settle(other.verify('not a token'))
    const request = {
      method: 'GET',
      url: 'https://orders.example.com/',
      headers: { authorization: `Bearer ${token}` },
    }
    await verifier.authorize(request, { scopes: ['orders:read'] })

    const mine = verifications.filter((m) => m.verifier === verifier).map((m) => m.event)
    expect(mine).toMatchObject([
      { type: 'verification', outcome: 'accepted', issuer: server.issuer, clientId: 'billing', status: 200 },
      { outcome: 'accepted', issuer: server.issuer, clientId: 'billing' },
      {
        outcome: 'rejected',
        reason: 'insufficient_scope',
        status: 403,
        issuer: server.issuer,
        clientId: 'billing',
      },
      {
        outcome: 'rejected',
        reason: 'signature_invalid',
        status: 401,
        issuer: server.issuer,
        clientId: undefined,
      },
      // authorize with a RequestInfo goes through authenticateRequest: still one event
      { outcome: 'accepted', issuer: server.issuer, clientId: 'billing' },
    ])
    for (const event of mine) expect(event.type === 'verification' && event.durationMs >= 0).toBe(true)
    expect(verifications.filter((m) => m.verifier === other).map((m) => m.event)).toMatchObject([
      { outcome: 'rejected', reason: 'token_malformed', issuer: undefined },
    ])
    expect(lookups.filter((m) => m.verifier === verifier).map((m) => m.event.type)).toEqual([
      'token_cache_miss',
      'token_cache_hit',
      'token_cache_hit',
      'token_cache_miss',
      'token_cache_hit',
    ])
    expect(fetches.filter((m) => m.verifier === verifier).map((m) => m.event)).toMatchObject([
      { type: 'keys_fetched', issuer: server.issuer, uri: server.jwksUri, trigger: 'initial', keyCount: 1 },
    ])
    const everything = JSON.stringify([verifications, lookups, fetches].flat().map((m) => m.event))
    expect(everything).not.toContain(token.split('.')[1])
    expect(everything).not.toContain(token.split('.')[2])
  })

  it('reports a failed key fetch on m2m-guard:jwks:fetch', async () => {
    const verifier = createVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: `${server.url}/nowhere`,
      clock: createClock(),
    })
    const fetches = collect(CHANNELS.jwksFetch)
    server.setJson('/nowhere', () => ({ status: 500, body: {} }))
    await settle(verifier.verify(await server.sign()))
    expect(fetches.filter((m) => m.verifier === verifier).map((m) => m.event)).toMatchObject([
      { type: 'keys_fetch_failed', trigger: 'initial', uri: `${server.url}/nowhere` },
    ])
  })

  it('sends nothing once unsubscribed, and a throwing subscriber changes no verdict', async () => {
    const verifier = verifierOf()
    const token = await server.sign()
    const thrower = () => {
      throw new Error('observer bug')
    }
    const stop = observeVerifier(verifier, thrower)
    await expect(verifier.verify(token)).resolves.toMatchObject({ clientId: 'billing' })
    stop()
    const seen: ObservedEvent[] = []
    const stopSeen = observeVerifier(verifier, (event) => void seen.push(event))
    await verifier.verify(token)
    stopSeen()
    await verifier.verify(token)
    expect(seen.map((event) => event.type)).toEqual(['token_cache_hit', 'verification'])
  })
})

describe('observeVerifier', () => {
  it('reports a reused token as soon as the call returns, untimed (durationMs 0), after its token_cache_hit', async () => {
    const verifier = verifierOf()
    const token = await server.sign()
    const first = await verifier.authenticate(`Bearer ${token}`)
    const seen: ObservedEvent[] = []
    const stop = observeVerifier(verifier, (event) => void seen.push(event))
    const request = {
      method: 'GET',
      url: 'https://orders.example.com/',
      headers: { authorization: `Bearer ${token}` },
    }
    const calls = [
      verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:read'] }),
      verifier.authorize(request, { scopes: ['orders:read'] }),
      verifier.authenticateRequest(request),
      verifier.authorize(undefined, { scopes: ['orders:read'] }, first),
    ]
    // Accepted without waiting: every event is already there, before anything settles.
    expect(seen.map((event) => event.type)).toEqual([
      'token_cache_hit',
      'verification',
      'token_cache_hit',
      'verification',
      'token_cache_hit',
      'verification',
      'verification',
    ])
    expect(seen.filter((event) => event.type === 'verification')).toEqual(
      Array(4).fill({
        type: 'verification',
        outcome: 'accepted',
        issuer: server.issuer,
        clientId: 'billing',
        reason: undefined,
        status: 200,
        durationMs: 0,
      }),
    )
    // What callers receive does not change: the same result, as a settled promise.
    for (const auth of await Promise.all(calls)) expect(auth).toBe(first)
    stop()
  })

  it('reports a reused token refused by the requirement, and new tokens timed, once each settles', async () => {
    const verifier = verifierOf()
    const token = await server.sign()
    await verifier.authenticate(`Bearer ${token}`)
    const seen: ObservedEvent[] = []
    const stop = observeVerifier(verifier, (event) => void seen.push(event))
    const refused = verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:write'] })
    // A refusal is reported once its promise settles, as every other (before the caller resumes).
    expect(seen.map((event) => event.type)).toEqual(['token_cache_hit', 'token_rejected'])
    await expect(refused).rejects.toMatchObject({ reason: 'insufficient_scope', status: 403 })
    const fresh = verifier.authenticate(`Bearer ${await server.sign()}`)
    await expect(fresh).resolves.toMatchObject({ clientId: 'billing' })
    await expect(verifier.authenticate('Basic abc')).rejects.toMatchObject({ status: 401 })
    stop()
    const verifications = seen.filter((event) => event.type === 'verification')
    expect(verifications).toMatchObject([
      {
        outcome: 'rejected',
        reason: 'insufficient_scope',
        issuer: server.issuer,
        clientId: 'billing',
        durationMs: 0,
      },
      { outcome: 'accepted', issuer: server.issuer, clientId: 'billing' },
      { outcome: 'rejected', issuer: undefined },
    ])
    // A new token's signature check takes time: it is measured from the call to its verdict.
    expect(verifications[1]?.type === 'verification' && verifications[1].durationMs > 0).toBe(true)
  })

  it('refuses what is not a verifier made by createVerifier', () => {
    expect(() => observeVerifier({}, () => {})).toThrow(/"verifier" must be a verifier/)
    expect(() => observeVerifier(verifierOf(), 'x' as never)).toThrow(/"listener" must be a function/)
  })
})
