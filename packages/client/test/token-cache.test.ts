import { createTokenClient, TokenRequestError } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock, type FakeClock } from './helpers/clock.js'
import { createEventLog, type EventLog } from './helpers/events.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint
let clock: FakeClock
let log: EventLog

beforeEach(async () => {
  server = await startTokenEndpoint({ expiresIn: 600 })
  clock = createFakeClock()
  log = createEventLog()
})
afterEach(() => server.close())

function client(extra: { renewBefore?: number; fetch?: typeof fetch } = {}) {
  return createTokenClient({
    tokenEndpoint: server.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: clock.now,
    sleep: clock.sleep,
    onEvent: log.onEvent,
    retry: false,
    ...extra,
  })
}

const seconds = (s: number) => s * 1000
// Lets promise callbacks already queued run (the client settles its state right after an event).
const settled = () => new Promise((resolve) => setImmediate(resolve))

describe('caching', () => {
  it('makes one token request for 50 concurrent callers', async () => {
    const c = client()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => c.getToken()))
    expect(server.tokenRequests).toHaveLength(1)
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
  })

  it('reuses the cached token while it is fresh', async () => {
    const c = client()
    expect(await c.getToken()).toBe('token-1')
    clock.advance(seconds(479))
    expect(await c.getToken()).toBe('token-1')
    expect(server.tokenRequests).toHaveLength(1)
    expect(log.events).toEqual([
      { type: 'token_fetched', expiresIn: 600_000, attempts: 1, source: 'token_endpoint' },
    ])
  })

  it('does not remember a failure: the next call asks again', async () => {
    server.queue({ status: 500 })
    const c = client()
    await expect(c.getToken()).rejects.toBeInstanceOf(TokenRequestError)
    expect(await c.getToken()).toBe('token-2')
  })
})

describe('renewal ahead of expiry', () => {
  it('renews in the background at 80% of the lifetime, serving the old token meanwhile', async () => {
    const c = client()
    await c.getToken()
    clock.advance(seconds(480))
    const renewed = log.next('token_renewed')
    expect(await c.getToken()).toBe('token-1')
    expect(await renewed).toEqual({
      type: 'token_renewed',
      expiresIn: 600_000,
      attempts: 1,
      background: true,
      source: 'token_endpoint',
    })
    expect(await c.getToken()).toBe('token-2')
    expect(server.tokenRequests).toHaveLength(2)
  })

  it('renews earlier when renewBefore asks for more than 20% of the lifetime', async () => {
    const c = client({ renewBefore: seconds(200) })
    await c.getToken()
    clock.advance(seconds(399))
    await c.getToken()
    expect(server.tokenRequests).toHaveLength(1)
    clock.advance(seconds(1))
    const renewed = log.next('token_renewed')
    await c.getToken()
    await renewed
    expect(server.tokenRequests).toHaveLength(2)
  })

  it('never renews before half the lifetime, however large renewBefore is', async () => {
    const c = client({ renewBefore: seconds(3600) })
    await c.getToken()
    clock.advance(seconds(299))
    await c.getToken()
    await c.getToken()
    expect(server.tokenRequests).toHaveLength(1)
    clock.advance(seconds(1))
    const renewed = log.next('token_renewed')
    await c.getToken()
    await renewed
    expect(server.tokenRequests).toHaveLength(2)
  })

  it('starts one renewal however many callers arrive in the window', async () => {
    const c = client()
    await c.getToken()
    clock.advance(seconds(500))
    const renewed = log.next('token_renewed')
    const tokens = await Promise.all(Array.from({ length: 20 }, () => c.getToken()))
    expect(new Set(tokens)).toEqual(new Set(['token-1']))
    await renewed
    expect(server.tokenRequests).toHaveLength(2)
  })

  it('keeps serving the old token when a renewal fails, and tries again after a pause', async () => {
    const c = client()
    await c.getToken()
    server.queue({ status: 401, body: { error: 'invalid_client' } })
    clock.advance(seconds(480))
    const failed = log.next('token_request_failed')
    expect(await c.getToken()).toBe('token-1')
    expect(await failed).toMatchObject({
      attempt: 1,
      status: 401,
      error: 'invalid_client',
      retryIn: undefined,
    })
    await settled()
    // Paused: min(30 s, half the time left) — no request storm from callers in the window.
    expect(await c.getToken()).toBe('token-1')
    clock.advance(seconds(29))
    expect(await c.getToken()).toBe('token-1')
    expect(server.tokenRequests).toHaveLength(2)
    clock.advance(seconds(1))
    const renewed = log.next('token_renewed')
    expect(await c.getToken()).toBe('token-1')
    await renewed
    expect(await c.getToken()).toBe('token-3')
  })

  // When the client sent each token request, on its clock (recorded as it calls fetch).
  const sentAt: number[] = []
  const recording: typeof fetch = (input, init) => {
    sentAt.push(clock.now())
    return fetch(input, init)
  }
  beforeEach(() => {
    sentAt.length = 0
  })

  it('after a failed renewal, waits as long as Retry-After asked when that is longer than the pause', async () => {
    const c = client({ fetch: recording })
    await c.getToken()
    server.queue({ status: 503, headers: { 'retry-after': '90' } })
    clock.advance(seconds(480))
    const failed = log.next('token_request_failed')
    expect(await c.getToken()).toBe('token-1')
    await failed
    await settled()
    // The usual pause (30 s) is over, but the server asked for 90 s.
    clock.advance(seconds(89))
    expect(await c.getToken()).toBe('token-1')
    await settled()
    clock.advance(seconds(1))
    const renewed = log.next('token_renewed')
    expect(await c.getToken()).toBe('token-1')
    await renewed
    expect(await c.getToken()).toBe('token-3')
    const start = Date.UTC(2030, 0, 1)
    expect(sentAt.map((at) => (at - start) / 1000)).toEqual([0, 480, 570])
  })

  it('a Retry-After beyond the token pauses renewal only while the token is served', async () => {
    const c = client({ fetch: recording })
    await c.getToken()
    server.queue({ status: 429, headers: { 'retry-after': '3600' } })
    clock.advance(seconds(480))
    const failed = log.next('token_request_failed')
    expect(await c.getToken()).toBe('token-1')
    await failed
    await settled()
    for (const step of [30, 60, 24]) {
      clock.advance(seconds(step)) // up to 594 s: the token is served until 595 s
      expect(await c.getToken()).toBe('token-1')
      await settled()
    }
    clock.advance(seconds(1))
    expect(await c.getToken()).toBe('token-3') // about to expire: the caller waits for a new one
    const start = Date.UTC(2030, 0, 1)
    expect(sentAt.map((at) => (at - start) / 1000)).toEqual([0, 480, 595])
  })

  it('makes callers wait for a new token once the old one is about to expire', async () => {
    const c = client()
    await c.getToken()
    clock.advance(seconds(595)) // the last 5 seconds are not handed out
    expect(await c.getToken()).toBe('token-2')
    expect(log.events.at(-1)).toEqual({
      type: 'token_renewed',
      expiresIn: 600_000,
      attempts: 1,
      background: false,
      source: 'token_endpoint',
    })
  })

  it('fails callers once the old token has expired and no new one can be had', async () => {
    const c = client()
    await c.getToken()
    server.queue({ status: 400, body: { error: 'invalid_client' } })
    clock.advance(seconds(600))
    await expect(c.getToken()).rejects.toMatchObject({ name: 'TokenRequestError', error: 'invalid_client' })
  })

  it('counts the lifetime from when the request was sent', async () => {
    const c = client()
    server.queue((request) => {
      // The answer takes 100 s (on the fake clock) to arrive.
      clock.advance(seconds(100))
      return {
        body: {
          access_token: `slow-${request.form.get('grant_type')}`,
          token_type: 'bearer',
          expires_in: 600,
        },
      }
    })
    expect(await c.getToken()).toBe('slow-client_credentials')
    clock.advance(seconds(380)) // 480 s after sending
    const renewed = log.next('token_renewed')
    await c.getToken()
    await renewed
  })
})

describe('invalidate', () => {
  it('forgets the cached token', async () => {
    const c = client()
    await c.getToken()
    c.invalidate()
    expect(await c.getToken()).toBe('token-2')
    expect(log.events.map((event) => event.type)).toEqual(['token_fetched', 'token_fetched'])
  })

  it('with a token, forgets it only if it is still the cached one', async () => {
    const c = client()
    const first = await c.getToken()
    c.invalidate(first)
    const second = await c.getToken()
    c.invalidate(first) // stale: someone else already replaced it
    expect(await c.getToken()).toBe(second)
    expect(server.tokenRequests).toHaveLength(2)
  })

  it('detaches a request in flight: its answer reaches its callers but is not cached', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    server.queue(async () => {
      await gate
      return { body: { access_token: 'from-before', token_type: 'Bearer', expires_in: 600 } }
    })
    const c = client()
    const pending = c.getToken()
    c.invalidate()
    const fresh = c.getToken()
    release()
    expect(await pending).toBe('from-before')
    expect(await fresh).toBe('token-2')
    expect(await c.getToken()).toBe('token-2')
  })
})
