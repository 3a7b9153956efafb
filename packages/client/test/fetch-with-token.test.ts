import { createTokenClient, TokenRequestError } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RecordedRequest, type Scripted, startServer, type TestServer } from './helpers/http-server.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let issuer: TokenEndpoint
let api: TestServer
// Tokens the API accepts; a request with any other token gets `reject`.
let accepted: Set<string>
let reject: Scripted

beforeEach(async () => {
  issuer = await startTokenEndpoint()
  accepted = new Set(['token-1', 'token-2', 'token-3'])
  reject = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }
  api = await startServer((request: RecordedRequest) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? ''
    return accepted.has(token) ? { body: { ok: true, token, body: request.body } } : reject
  })
})
afterEach(async () => {
  await api.close()
  await issuer.close()
})

const client = () =>
  createTokenClient({
    tokenEndpoint: issuer.tokenEndpoint,
    clientId: 'billing',
    clientSecret: 'billing-secret',
  })
const seen = () => api.requests.map((request) => request.headers.authorization)

describe('client.fetch', () => {
  it('adds the Bearer token and keeps the other headers', async () => {
    const c = client()
    const res = await c.fetch(`${api.url}/orders`, {
      headers: { 'x-request-id': '42', authorization: 'Basic xyz' },
    })
    expect(res.status).toBe(200)
    expect(api.requests[0]?.headers.authorization).toBe('Bearer token-1')
    expect(api.requests[0]?.headers['x-request-id']).toBe('42')
    await c.fetch(new Request(`${api.url}/orders`, { headers: { 'x-from-request': 'yes' } }))
    expect(api.requests[1]?.headers['x-from-request']).toBe('yes')
    expect(issuer.tokenRequests).toHaveLength(1)
  })

  it.each([
    ['error="invalid_token"', 'Bearer error="invalid_token", error_description="The access token expired"'],
    ['no error', 'Bearer realm="orders"'],
    ['no challenge at all', undefined],
  ])('on a 401 with %s, gets a fresh token and retries once', async (_, challenge) => {
    reject = { status: 401, headers: challenge === undefined ? {} : { 'www-authenticate': challenge } }
    accepted.delete('token-1')
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ token: 'token-2' })
    expect(seen()).toEqual(['Bearer token-1', 'Bearer token-2'])
  })

  it.each([
    [
      '401 invalid_request',
      { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_request"' } },
    ],
    ['401 for another scheme', { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }],
    [
      '403 insufficient_scope',
      { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' } },
    ],
    ['503', { status: 503, headers: { 'retry-after': '5' } }],
  ])('does not retry a %s', async (_, answer) => {
    reject = answer
    accepted.clear()
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(answer.status)
    expect(api.requests).toHaveLength(1)
    expect(issuer.tokenRequests).toHaveLength(1)
  })

  it('retries only once: a second 401 is returned as is', async () => {
    accepted.clear()
    const res = await client().fetch(`${api.url}/orders`)
    expect(res.status).toBe(401)
    expect(seen()).toEqual(['Bearer token-1', 'Bearer token-2'])
  })

  it('replays a string body', async () => {
    accepted.delete('token-1')
    const res = await client().fetch(`${api.url}/orders`, { method: 'POST', body: '{"id":7}' })
    expect(await res.json()).toMatchObject({ token: 'token-2', body: '{"id":7}' })
    expect(api.requests.map((request) => request.body)).toEqual(['{"id":7}', '{"id":7}'])
  })

  it('replays the body of a Request', async () => {
    accepted.delete('token-1')
    const request = new Request(`${api.url}/orders`, {
      method: 'PUT',
      body: 'payload',
      headers: { 'x-a': 'b' },
    })
    const res = await client().fetch(request)
    expect(await res.json()).toMatchObject({ token: 'token-2', body: 'payload' })
    expect(api.requests[1]?.method).toBe('PUT')
    expect(api.requests[1]?.headers['x-a']).toBe('b')
  })

  it('does not retry a streaming body (it cannot be sent twice)', async () => {
    accepted.delete('token-1')
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const res = await client().fetch(`${api.url}/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(401)
    expect(api.requests).toHaveLength(1)
    expect(issuer.tokenRequests).toHaveLength(1)
  })

  it('many concurrent 401s for the same token cause one renewal', async () => {
    accepted.delete('token-1')
    const c = client()
    await c.getToken()
    const responses = await Promise.all(Array.from({ length: 20 }, () => c.fetch(`${api.url}/orders`)))
    expect(responses.every((res) => res.status === 200)).toBe(true)
    expect(issuer.tokenRequests).toHaveLength(2)
  })

  it('authorizationHeaders gives the Bearer header, and nothing else, without DPoP', async () => {
    expect(await client().authorizationHeaders('GET', `${api.url}/orders`)).toEqual({
      authorization: 'Bearer token-1',
    })
  })

  it('rejects with the TokenRequestError when no token can be had, without calling the API', async () => {
    issuer.queue({ status: 401, body: { error: 'invalid_client' } })
    await expect(client().fetch(`${api.url}/orders`)).rejects.toBeInstanceOf(TokenRequestError)
    expect(api.requests).toHaveLength(0)
  })
})
