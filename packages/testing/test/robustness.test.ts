import { connect } from 'node:net'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { basic, postToken } from './token-request.js'

// Sends raw bytes and collects whatever comes back until the server closes or 2 s pass.
function rawRequest(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }
    const timer = setTimeout(done, 2000)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', done)
    socket.on('error', done)
    socket.write(bytes)
  })
}

describe('nothing a request sends breaks the server', () => {
  let server: AuthServer
  beforeAll(async () => {
    server = await createAuthServer({ clients: [{ clientId: 'c', clientSecret: 's', scopes: ['a'] }] })
  })
  afterAll(() => server.close())

  const works = async () => {
    const answer = await postToken(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      {
        authorization: basic('c', 's'),
      },
    )
    expect(answer.status).toBe(200)
  }

  it.each([
    ['a body that is not UTF-8', Buffer.from([0x67, 0x3d, 0xff, 0xfe, 0x26])],
    ['percent garbage', 'grant_type=%zz%&%%%=&=&&&client_id=%E0%A4%A'],
    ['a NUL-laden body', 'grant_type=client_credentials\u0000&scope=\u0000'],
    ['an empty body', ''],
    ['only separators', '&&&===&&'],
    ['a JSON body', '{"grant_type":"client_credentials"}'],
  ])('answers %s with a clean 4xx JSON error', async (_case, body) => {
    const res = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('c', 's') },
      body,
    })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(await res.json()).toMatchObject({ error: expect.any(String) })
    await works()
  })

  it('answers malformed HTTP with 400 and keeps serving', async () => {
    const answers = await Promise.all([
      rawRequest(server.port, 'NOT HTTP AT ALL\r\n\r\n'),
      rawRequest(server.port, 'GET /jwks HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'),
      rawRequest(server.port, `GET /jwks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    ])
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /)
    await works()
  })

  it('survives a client that disconnects mid-body', async () => {
    const before = server.requests.token
    const socket = connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.write(
      'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=cl',
    )
    await vi.waitFor(() => expect(server.requests.token).toBe(before + 1), { timeout: 2000, interval: 10 })
    socket.destroy()
    await works()
  })

  it('answers a path that is not a path with 404', async () => {
    const answer = await rawRequest(server.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 404 /)
  })

  it('answers a bounded burst of mixed requests and keeps serving', async () => {
    const requests = Array.from({ length: 40 }, (_, i) =>
      postToken(server.tokenEndpoint, i % 2 === 0 ? 'grant_type=client_credentials' : `x=${i}`, {
        authorization: i % 3 === 0 ? basic('c', 's') : basic('c', 'wrong'),
      }),
    )
    const statuses = (await Promise.all(requests)).map((answer) => answer.status)
    expect(statuses.every((status) => [200, 400, 401].includes(status))).toBe(true)
    await works()
  })
})
