import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { basic, postToken } from './token-request.js'

const GRANT = { grant_type: 'client_credentials' }

describe('fault switches', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a'] }] })
  })
  afterEach(() => server.clearFaults())
  afterAll(() => server.close())

  it.each([
    ['down', 503],
    ['status500', 500],
  ] as const)('%s answers %i on every endpoint', async (fault, status) => {
    for (const endpoint of ['jwks', 'metadata', 'token'] as const) server.setFault(endpoint, fault)
    expect((await fetch(server.jwksUri)).status).toBe(status)
    expect((await fetch(server.metadataUrl)).status).toBe(status)
    expect((await postToken(server.tokenEndpoint, GRANT, { authorization: basic('c', 's') })).status).toBe(
      status,
    )
    expect(server.faults).toEqual({ jwks: fault, metadata: fault, token: fault })
  })

  it('slow answers normally after the delay', async () => {
    server.setFault('jwks', 'slow', { delayMs: 300 })
    const started = performance.now()
    const res = await fetch(server.jwksUri)
    expect(performance.now() - started).toBeGreaterThanOrEqual(250)
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(1)
    await expect(fetch(server.jwksUri, { signal: AbortSignal.timeout(50) })).rejects.toThrow()
  })

  it('hang never answers', async () => {
    server.setFault('metadata', 'hang')
    await expect(fetch(server.metadataUrl, { signal: AbortSignal.timeout(200) })).rejects.toThrow(
      /abort|timeout/i,
    )
  })

  it('stall sends headers and half a body, then nothing', async () => {
    server.setFault('jwks', 'stall')
    const controller = new AbortController()
    const res = await fetch(server.jwksUri, { signal: controller.signal })
    expect(res.status).toBe(200)
    const timer = setTimeout(() => controller.abort(), 200)
    await expect(res.text()).rejects.toThrow()
    clearTimeout(timer)
  })

  it('garbage is 200 JSON that does not parse', async () => {
    server.setFault('jwks', 'garbage')
    const res = await fetch(server.jwksUri)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    await expect(res.json()).rejects.toThrow()
  })

  it('html is a 200 login page', async () => {
    server.setFault('token', 'html')
    const res = await fetch(server.tokenEndpoint, { method: 'POST', body: 'grant_type=client_credentials' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html')
    expect(await res.text()).toContain('<html>')
  })

  it('invalid is JSON of the wrong shape', async () => {
    server.setFault('jwks', 'invalid')
    server.setFault('metadata', 'invalid')
    expect(await (await fetch(server.jwksUri)).json()).toEqual({ keys: 'not-a-list' })
    expect(((await (await fetch(server.metadataUrl)).json()) as { issuer: unknown }).issuer).toBe(42)
  })

  it('oversized is the real document padded and chunked', async () => {
    server.setFault('jwks', 'oversized', { size: 1024 * 1024 })
    const res = await fetch(server.jwksUri)
    expect(res.headers.get('content-length')).toBeNull()
    const text = await res.text()
    expect(text.length).toBeGreaterThanOrEqual(1024 * 1024)
    expect((JSON.parse(text) as { keys: unknown[] }).keys).toHaveLength(1)
  })

  it('reset cuts the connection', async () => {
    server.setFault('jwks', 'reset')
    await expect(fetch(server.jwksUri)).rejects.toThrow(/fetch failed/)
    server.setFault('jwks', null)
    expect((await fetch(server.jwksUri)).status).toBe(200)
  })

  it('a standing canned response replaces the answer', async () => {
    const wrongIssuer = { ...server.metadata, issuer: 'https://impostor.example' }
    server.setFault('metadata', { status: 200, body: wrongIssuer })
    expect(server.faults.metadata).toBe('canned')
    expect(await (await fetch(server.metadataUrl)).json()).toMatchObject({
      issuer: 'https://impostor.example',
    })
    expect(await (await fetch(server.metadataUrl)).json()).toMatchObject({
      issuer: 'https://impostor.example',
    })
  })

  it('refuses unknown faults and endpoints', () => {
    expect(() => server.setFault('jwks', 'melt' as never)).toThrow(/fault must be one of/)
    expect(() => server.setFault('userinfo' as never, 'down')).toThrow(/endpoint must be one of/)
    expect(() => server.queueResponse('token', { status: 99 })).toThrow(/status/)
  })
})

describe('queued responses', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a'] }] })
  })
  afterEach(() => server.clearFaults())
  afterAll(() => server.close())

  const token = () => postToken(server.tokenEndpoint, GRANT, { authorization: basic('c', 's') })

  it('answers one queued response per request, in order, then normally', async () => {
    server.queueResponse('token', { status: 500 })
    server.queueResponse('token', { status: 429, headers: { 'retry-after': '1' } })
    server.queueResponse('token', 'reset')
    const first = await token()
    expect(first.status).toBe(500)
    expect(first.body).toEqual({ error: 'server_error' })
    const second = await token()
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('1')
    expect(second.body).toEqual({ error: 'temporarily_unavailable' })
    await expect(token()).rejects.toThrow()
    expect((await token()).status).toBe(200)
  })

  it('wins over a standing fault', async () => {
    server.setFault('jwks', 'down')
    server.queueResponse('jwks', { status: 200, body: { keys: [] } })
    expect(await (await fetch(server.jwksUri)).json()).toEqual({ keys: [] })
    expect((await fetch(server.jwksUri)).status).toBe(503)
  })

  it('sends string bodies as they are, after an optional delay', async () => {
    server.queueResponse('metadata', { status: 502, body: 'Bad Gateway', delayMs: 100 })
    const started = performance.now()
    const res = await fetch(server.metadataUrl)
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('Bad Gateway')
  })
})

describe('request counters', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer()
  })
  afterAll(() => server.close())

  it('counts requests per endpoint, faulty ones included, and resets', async () => {
    const counts = server.requests
    expect(counts).toEqual({ jwks: 0, metadata: 0, token: 0 })
    await fetch(server.jwksUri)
    await fetch(server.metadataUrl)
    await fetch(server.openidConfigurationUrl)
    await fetch(server.tokenEndpoint, { method: 'POST' })
    server.setFault('jwks', 'down')
    await fetch(server.jwksUri)
    await fetch(`${server.issuer}/unknown`)
    expect(counts).toEqual({ jwks: 2, metadata: 2, token: 1 })
    expect(() => {
      ;(counts as { jwks: number }).jwks = 99
    }).toThrow()
    server.resetCounters()
    expect(server.requests).toEqual({ jwks: 0, metadata: 0, token: 0 })
  })
})

describe('close', () => {
  it('closes with a hanging connection open, and twice', async () => {
    const server = await createAuthServer()
    server.setFault('jwks', 'hang')
    const hanging = fetch(server.jwksUri).then(
      () => 'answered',
      () => 'failed',
    )
    await vi.waitFor(() => expect(server.requests.jwks).toBe(1), { timeout: 2000, interval: 10 })
    let timer: NodeJS.Timeout | undefined
    const bounded = new Promise((resolve) => {
      timer = setTimeout(resolve, 2000, 'timed out')
    })
    expect(await Promise.race([server.close().then(() => 'closed'), bounded])).toBe('closed')
    clearTimeout(timer)
    expect(await hanging).toBe('failed')
    await expect(server.close()).resolves.toBeUndefined()
    await expect(fetch(server.jwksUri)).rejects.toThrow()
  })

  it('ends a slow answer at once', async () => {
    const server = await createAuthServer()
    server.setFault('jwks', 'slow', { delayMs: 60_000 })
    const pending = fetch(server.jwksUri).catch(() => 'failed')
    await vi.waitFor(() => expect(server.requests.jwks).toBe(1), { timeout: 2000, interval: 10 })
    const started = performance.now()
    await server.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toBe('failed')
  })
})
