import { createServer } from 'node:net'
import { createTokenClient, type RetryOptions, TokenRequestError } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { backoffDelay, parseRetryAfter } from '../src/retry.js'
import { createFakeClock, type FakeClock } from './helpers/clock.js'
import { createEventLog, type EventLog } from './helpers/events.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint
let clock: FakeClock
let log: EventLog

beforeEach(async () => {
  server = await startTokenEndpoint()
  clock = createFakeClock()
  log = createEventLog()
})
afterEach(() => server.close())

function client(retry: RetryOptions | false = {}, extra: { tokenEndpoint?: string; timeout?: number } = {}) {
  return createTokenClient({
    tokenEndpoint: extra.tokenEndpoint ?? server.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: clock.now,
    sleep: clock.sleep,
    onEvent: log.onEvent,
    retry: retry === false ? false : { minDelay: 100, maxDelay: 2_000, ...retry },
    ...(extra.timeout === undefined ? {} : { timeout: extra.timeout }),
  })
}

const failures = () => log.events.filter((event) => event.type === 'token_request_failed')

describe('retried', () => {
  it('retries a 500 and succeeds on the next 200', async () => {
    server.queue({ status: 500, body: 'oops' })
    expect(await client().getToken()).toBe('token-2')
    expect(server.tokenRequests).toHaveLength(2)
    expect(clock.sleeps).toHaveLength(1)
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(100)
    expect(clock.sleeps[0]).toBeLessThanOrEqual(200)
    expect(failures()).toEqual([
      {
        type: 'token_request_failed',
        attempt: 1,
        reason: 'http_error',
        status: 500,
        error: undefined,
        retryIn: clock.sleeps[0],
      },
    ])
    expect(log.events.at(-1)).toEqual({
      type: 'token_fetched',
      expiresIn: 3_600_000,
      attempts: 2,
      source: 'token_endpoint',
    })
  })

  it('waits as long as a 429 Retry-After (seconds) says', async () => {
    server.queue({ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow_down' } })
    expect(await client().getToken()).toBe('token-2')
    expect(clock.sleeps).toEqual([1_000])
  })

  it('waits until a Retry-After HTTP date, measured on the injected clock', async () => {
    const at = new Date(clock.now() + 1_500).toUTCString() // whole seconds: 1 or 2 s ahead
    server.queue({ status: 503, headers: { 'retry-after': at } })
    expect(await client().getToken()).toBe('token-2')
    expect(clock.sleeps).toEqual([Date.parse(at) - Date.UTC(2030, 0, 1)])
  })

  it('a Retry-After longer than retry.maxDelay is not shortened: no retry, the error carries it', async () => {
    server.queue({ status: 429, headers: { 'retry-after': '3600' }, body: { error: 'slow_down' } })
    const c = client({ maxDelay: 2_000 })
    await expect(c.getToken()).rejects.toMatchObject({ status: 429, retryAfter: 3_600_000, attempts: 1 })
    expect(clock.sleeps).toEqual([])
    expect(server.tokenRequests).toHaveLength(1)
    expect(failures()).toEqual([expect.objectContaining({ attempt: 1, status: 429, retryIn: undefined })])
    // Up to maxDelay it is waited out exactly.
    server.queue({ status: 429, headers: { 'retry-after': '2' } })
    expect(await c.getToken()).toBe('token-3')
    expect(clock.sleeps).toEqual([2_000])
  })

  it('a Retry-After that would start the retry after retry.maxElapsed ends the retries at once', async () => {
    server.queue({ status: 503, headers: { 'retry-after': '120' } })
    await expect(
      client({ retries: 5, maxDelay: 300_000, maxElapsed: 60_000 }).getToken(),
    ).rejects.toMatchObject({ status: 503, retryAfter: 120_000, attempts: 1 })
    expect(clock.sleeps).toEqual([])
    expect(server.tokenRequests).toHaveLength(1)
  })

  it('retries network errors', async () => {
    server.queue({ destroy: true }, { destroy: true })
    expect(await client().getToken()).toBe('token-3')
    expect(failures().map((event) => event.reason)).toEqual(['network_error', 'network_error'])
  })

  it('retries a request that times out', async () => {
    server.queue({ hang: true })
    expect(await client({}, { timeout: 50 }).getToken()).toBe('token-2')
    expect(failures()).toMatchObject([{ reason: 'timeout', status: undefined }])
  })

  it('gives up after retry.retries retries, with exponential backoff', async () => {
    for (let i = 0; i < 10; i++) server.queue({ status: 502 })
    const error = await client({ retries: 3, minDelay: 100, maxDelay: 100_000 })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TokenRequestError)
    expect(error).toMatchObject({ reason: 'http_error', status: 502, retryable: true, attempts: 4 })
    expect(server.tokenRequests).toHaveLength(4)
    expect(clock.sleeps).toHaveLength(3)
    clock.sleeps.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(100)
      expect(delay).toBeLessThanOrEqual(100 * 2 ** (i + 1))
    })
    expect(failures().at(-1)).toMatchObject({ attempt: 4, retryIn: undefined })
  })

  it('gives up rather than start a retry after retry.maxElapsed', async () => {
    for (let i = 0; i < 10; i++) server.queue({ status: 429, headers: { 'retry-after': '2' } })
    await expect(
      client({ retries: 10, maxDelay: 5_000, maxElapsed: 5_000 }).getToken(),
    ).rejects.toMatchObject({
      status: 429,
      attempts: 3,
    })
    expect(clock.sleeps).toEqual([2_000, 2_000])
  })

  it('with retry: false, makes exactly one request', async () => {
    server.queue({ status: 503 })
    await expect(client(false).getToken()).rejects.toMatchObject({ status: 503, attempts: 1 })
    expect(server.tokenRequests).toHaveLength(1)
  })

  it('retries when nothing listens at all (connection refused)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number }
        probe.close(() => resolve(port))
      })
    })
    const error = await client({ retries: 2 }, { tokenEndpoint: `http://127.0.0.1:${port}/token` })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ reason: 'network_error', attempts: 3, retryable: true })
    expect((error as Error).cause).toBeInstanceOf(Error)
  })
})

describe('not retried', () => {
  it.each([
    ['invalid_client', 401],
    ['invalid_client', 400],
    ['invalid_scope', 400],
    ['unauthorized_client', 400],
    ['invalid_request', 400],
  ])('%s (%i) fails at once with the server error', async (code, status) => {
    server.queue({ status, body: { error: code, error_description: `because ${code}` } })
    const started = performance.now()
    const error = await client({ retries: 5 })
      .getToken()
      .catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(error).toBeInstanceOf(TokenRequestError)
    expect(error).toMatchObject({
      reason: 'oauth_error',
      error: code,
      errorDescription: `because ${code}`,
      status,
      retryable: false,
      attempts: 1,
    })
    expect((error as Error).message).toContain(code)
    expect(server.tokenRequests).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it('a 4xx without an OAuth body is an http_error', async () => {
    server.queue({ status: 404, body: '<html>not here</html>' })
    await expect(client().getToken()).rejects.toMatchObject({
      reason: 'http_error',
      status: 404,
      error: undefined,
    })
    expect(server.tokenRequests).toHaveLength(1)
  })

  it('a redirect is not followed (it would carry the credentials elsewhere)', async () => {
    server.queue({ status: 302, headers: { location: `${server.url}/elsewhere` } })
    await expect(client().getToken()).rejects.toMatchObject({ reason: 'http_error', status: 302 })
    expect(server.requests.map((request) => request.path)).toEqual(['/token'])
  })

  it('50 concurrent callers with invalid credentials cause one request, not a storm', async () => {
    server.queue({ status: 401, body: { error: 'invalid_client' } })
    const c = client({ retries: 5 })
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => c.getToken()))
    expect(results.every((result) => result.status === 'rejected')).toBe(true)
    expect(server.tokenRequests).toHaveLength(1)
  })
})

describe('backoffDelay', () => {
  const policy = { retries: 10, minDelay: 100, maxDelay: 1_000, maxElapsed: 60_000 }
  it('grows exponentially between minDelay and maxDelay, with full jitter', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(100)
    expect(backoffDelay(1, policy, () => 1)).toBe(200)
    expect(backoffDelay(2, policy, () => 1)).toBe(400)
    expect(backoffDelay(3, policy, () => 0.5)).toBe(450)
    expect(backoffDelay(9, policy, () => 1)).toBe(1_000)
    expect(backoffDelay(60, policy, () => 1)).toBe(1_000)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2030, 0, 1)
  it.each([
    ['0', 0],
    ['12', 12_000],
    [' 3 ', 3_000],
    ['Tue, 01 Jan 2030 00:00:10 GMT', 10_000],
    ['Mon, 31 Dec 2029 23:00:00 GMT', 0],
  ])('%j → %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
  it.each([null, '', '-1', '1.5', 'soon', '2030-01-01T00:00:10Z'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})
