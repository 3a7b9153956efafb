import { createTokenClient } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock } from './helpers/clock.js'
import { createEventLog, type EventLog } from './helpers/events.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint
let log: EventLog

beforeEach(async () => {
  server = await startTokenEndpoint()
  log = createEventLog()
})
afterEach(() => server.close())

function client(extra: { defaultLifetime?: number; maxResponseSize?: number; timeout?: number } = {}) {
  return createTokenClient({
    tokenEndpoint: server.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: createFakeClock().now,
    retry: false,
    onEvent: log.onEvent,
    ...extra,
  })
}

describe('the token request', () => {
  it('posts grant_type=client_credentials as a form, asking for JSON', async () => {
    await client().getToken()
    const [request] = server.tokenRequests
    expect(request?.method).toBe('POST')
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.headers.accept).toBe('application/json')
    expect(Object.fromEntries(request?.form ?? [])).toEqual({ grant_type: 'client_credentials' })
  })

  it('sends scope (space-delimited, deduplicated), audience and every resource', async () => {
    await createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      clientSecret: 'billing-secret',
      scope: ['orders:read', 'orders:write orders:read'],
      audience: 'https://api.example.com',
      resource: ['https://orders.example.com/', 'urn:example:invoices'],
    }).getToken()
    const form = server.tokenRequests[0]?.form
    expect(form?.get('scope')).toBe('orders:read orders:write')
    expect(form?.get('audience')).toBe('https://api.example.com')
    expect(form?.getAll('resource')).toEqual(['https://orders.example.com/', 'urn:example:invoices'])
  })
})

describe('a successful answer', () => {
  it.each([
    ['Bearer', 3600, 3_600_000],
    ['bearer', 60, 60_000],
    ['BEARER', '120', 120_000],
    ['Bearer', 0.5, 500],
  ])('accepts token_type %j and expires_in %j', async (tokenType, expiresIn, lifetime) => {
    server.queue({ body: { access_token: 'abc', token_type: tokenType, expires_in: expiresIn } })
    expect(await client().getToken()).toBe('abc')
    expect(log.events).toEqual([
      { type: 'token_fetched', expiresIn: lifetime, attempts: 1, source: 'token_endpoint' },
    ])
  })

  it('assumes defaultLifetime when expires_in is absent', async () => {
    server.queue({ body: { access_token: 'abc', token_type: 'Bearer' } })
    await client({ defaultLifetime: 120_000 }).getToken()
    expect(log.events).toEqual([
      { type: 'token_fetched', expiresIn: 120_000, attempts: 1, source: 'token_endpoint' },
    ])
  })

  it('assumes 5 minutes by default', async () => {
    server.queue({ body: { access_token: 'abc', token_type: 'Bearer', expires_in: null } })
    await client().getToken()
    expect(log.events).toEqual([
      { type: 'token_fetched', expiresIn: 300_000, attempts: 1, source: 'token_endpoint' },
    ])
  })
})

describe('an unusable answer is refused', () => {
  it.each([
    ['not JSON', 'this is not json'],
    ['HTML', '<html><body>Login</body></html>'],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['a JSON string', '"token"'],
    ['no access_token', { token_type: 'Bearer', expires_in: 60 }],
    ['an empty access_token', { access_token: '', token_type: 'Bearer' }],
    ['a numeric access_token', { access_token: 42, token_type: 'Bearer' }],
    ['no token_type', { access_token: 'abc' }],
    ['a DPoP token_type', { access_token: 'abc', token_type: 'DPoP' }],
    ['a negative expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: -1 }],
    ['a zero expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: 0 }],
    ['a non-numeric expires_in', { access_token: 'abc', token_type: 'Bearer', expires_in: 'soon' }],
    ['an infinite expires_in', '{"access_token":"abc","token_type":"Bearer","expires_in":1e999}'],
  ])('%s', async (_, body) => {
    server.queue({ body })
    const error = await client()
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'TokenRequestError',
      reason: 'invalid_response',
      status: 200,
      retryable: false,
    })
    // The body of a token response is never quoted back.
    expect(String(error)).not.toContain('abc')
  })

  it('a body larger than maxResponseSize, by Content-Length', async () => {
    server.queue({ body: { access_token: 'x'.repeat(2_000), token_type: 'Bearer' } })
    await expect(client({ maxResponseSize: 1_000 }).getToken()).rejects.toMatchObject({
      reason: 'invalid_response',
      message: expect.stringContaining('exceeds 1000'),
    })
  })

  it('a body larger than maxResponseSize, while streaming (no Content-Length)', async () => {
    server.queue({ headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(5_000) })
    await expect(client({ maxResponseSize: 1_000 }).getToken()).rejects.toMatchObject({
      reason: 'invalid_response',
    })
  })

  it('an answer that never comes, after timeout', async () => {
    server.queue({ hang: true })
    const started = performance.now()
    await expect(client({ timeout: 100 }).getToken()).rejects.toMatchObject({
      reason: 'timeout',
      retryable: true,
    })
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})
