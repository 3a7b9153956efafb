/**
 * Discovery of `jwks_uri` from the issuer's metadata (RFC 8414, then OpenID
 * Connect Discovery), through the public verifier against a real server on
 * 127.0.0.1. A document that names another issuer is never trusted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { AuthError, createVerifier, type Verifier, type VerifierOptions } from '../src/index.js'
import {
  AUDIENCE,
  createClock,
  type EventLog,
  generateTestKey,
  type JwksServer,
  recordEvents,
  startJwksServer,
  type TestClock,
} from './helpers/jwks-server.js'

const RFC8414 = '/.well-known/oauth-authorization-server'
const OPENID = '/.well-known/openid-configuration'
const servers: JwksServer[] = []
let clock: TestClock
let log: EventLog

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(): Promise<JwksServer> {
  const server = await startJwksServer({ keys: ['ES256'] })
  servers.push(server)
  clock = createClock()
  log = recordEvents()
  return server
}

function verifierFor(issuer: string, options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ issuer, audience: AUDIENCE, clock, onEvent: log.onEvent, ...options })
}

function sign(server: JwksServer, issuer: string): Promise<string> {
  return server.sign({ iss: issuer }, { nowMs: clock() })
}

async function unavailable(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof AuthError)) throw error
    expect(error.status).toBe(503)
    expect(error.reason).toBe('keys_unavailable')
    expect(error.retryAfter).toBeGreaterThanOrEqual(1)
    expect(error.headers['Retry-After']).toBe(String(error.retryAfter))
    return error
  }
  throw new Error('the token was accepted')
}

/** The one `keys_fetch_failed` event's error. */
function failure(): string {
  const failures = log.of('keys_fetch_failed')
  expect(failures).toHaveLength(1)
  expect(failures[0]?.uri).toBeUndefined() // discovery failed before any key set URL was known
  return failures[0]?.error ?? ''
}

describe('finding jwks_uri', () => {
  it('RFC 8414: the well-known path is inserted before the issuer path', async () => {
    const server = await start()
    const issuer = `${server.url}/tenant-a`
    server.setJson(`${RFC8414}/tenant-a`, { issuer, jwks_uri: server.jwksUri })
    const verifier = verifierFor(issuer)
    expect((await verifier.verify(await sign(server, issuer))).clientId).toBe('billing')
    expect(server.count(`${RFC8414}/tenant-a`)).toBe(1)
    expect(server.count(`/tenant-a${OPENID}`)).toBe(0)
    expect(server.count('/jwks')).toBe(1)
    expect(log.of('metadata_fetched')).toEqual([
      {
        type: 'metadata_fetched',
        issuer: `${server.url}/tenant-a`,
        uri: `${server.url}${RFC8414}/tenant-a`,
        jwksUri: server.jwksUri,
        durationMs: 0,
      },
    ])
    expect(verifier.keyStatus().jwksUri).toBe(server.jwksUri)
  })

  it('RFC 8414 for an issuer without a path', async () => {
    const server = await start()
    server.setJson(RFC8414, { issuer: server.issuer, jwks_uri: server.jwksUri })
    const verifier = verifierFor(server.issuer)
    await verifier.verify(await sign(server, server.issuer))
    expect(server.count(RFC8414)).toBe(1)
    expect(server.count()).toBe(2)
  })

  it('falls back to OpenID Connect Discovery (appended to the issuer path)', async () => {
    const server = await start()
    const issuer = `${server.url}/tenant-b`
    server.setJson(`/tenant-b${OPENID}`, { issuer, jwks_uri: server.jwksUri })
    const verifier = verifierFor(issuer)
    await verifier.verify(await sign(server, issuer))
    expect(server.count(`${RFC8414}/tenant-b`)).toBe(1) // 404
    expect(server.count(`/tenant-b${OPENID}`)).toBe(1)
    expect(log.of('metadata_fetched')[0]?.uri).toBe(`${issuer}${OPENID}`)
  })

  it('keys may live on another origin named by the metadata', async () => {
    const server = await start()
    const keyHost = await startJwksServer({ keys: [] })
    servers.push(keyHost)
    for (const key of server.keys) keyHost.publish(key)
    server.setJson(RFC8414, { issuer: server.issuer, jwks_uri: keyHost.jwksUri })
    const verifier = verifierFor(server.issuer)
    await verifier.verify(await sign(server, server.issuer))
    expect(server.count('/jwks')).toBe(0)
    expect(keyHost.count('/jwks')).toBe(1)
  })

  it('jwks_uri is discovered once and reused by later fetches', async () => {
    const server = await start()
    server.setJson(RFC8414, { issuer: server.issuer, jwks_uri: server.jwksUri })
    const verifier = verifierFor(server.issuer)
    await verifier.warmUp()
    const rotated = await server.addKey('EdDSA')
    clock.advance(30_000)
    const auth = await verifier.verify(await server.sign({}, { nowMs: clock(), key: rotated }))
    expect(auth.header.kid).toBe(rotated.kid)
    clock.advance(600_000) // past max-age: a background refresh
    await verifier.verify(await sign(server, server.issuer))
    await expect.poll(() => server.count('/jwks')).toBe(3)
    expect(server.count(RFC8414)).toBe(1)
    expect(log.of('metadata_fetched')).toHaveLength(1)
  })
})

describe('refusing metadata', () => {
  it('metadata naming another issuer is refused at both locations: 503, and the reason in the event', async () => {
    const server = await start()
    const issuer = `${server.url}/tenant-a`
    const impostor = { issuer: `${server.url}/tenant-z`, jwks_uri: server.jwksUri }
    server.setJson(`${RFC8414}/tenant-a`, impostor)
    server.setJson(`/tenant-a${OPENID}`, impostor)
    const verifier = verifierFor(issuer)
    const error = await unavailable(verifier.verify(await sign(server, issuer)))
    const reason = failure()
    expect(reason).toContain(`discovery failed for issuer ${issuer}`)
    expect(reason).toContain(`metadata names issuer "${server.url}/tenant-z", not the configured "${issuer}"`)
    expect(reason).not.toContain('trailing slash')
    expect(error.message).toContain(reason)
    expect(server.count('/jwks')).toBe(0)
    expect(verifier.keyStatus()).toMatchObject({ ready: false, jwksUri: undefined, lastError: reason })
  })

  it.each([
    ['the metadata adds a trailing slash', '', '/'],
    ['the configuration adds a trailing slash', '/', ''],
  ])(
    'an issuer differing only by a trailing slash is refused, and the message says so (%s)',
    async (_name, configured, published) => {
      const server = await start()
      const issuer = `${server.url}/tenant-a${configured}`
      const metadata = { issuer: `${server.url}/tenant-a${published}`, jwks_uri: server.jwksUri }
      server.setJson(`${RFC8414}/tenant-a`, metadata)
      server.setJson(`/tenant-a${OPENID}`, metadata)
      const verifier = verifierFor(issuer)
      await unavailable(verifier.verify(await sign(server, issuer)))
      expect(failure()).toContain('they differ only by a trailing slash')
      expect(server.count('/jwks')).toBe(0)
    },
  )

  it('a mismatched RFC 8414 document is not accepted even when the OpenID one is missing', async () => {
    const server = await start()
    server.setJson(RFC8414, { issuer: 'https://evil.example', jwks_uri: server.jwksUri })
    const verifier = verifierFor(server.issuer)
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    expect(failure()).toMatch(
      /metadata names issuer "https:\/\/evil\.example".*openid-configuration answered HTTP 404/,
    )
    expect(server.count('/jwks')).toBe(0)
  })

  it.each([
    [
      'plain http on a non-loopback host',
      'http://keys.example.com/jwks',
      /plain http on a non-loopback host/,
    ],
    ['not http(s)', 'ftp://127.0.0.1/jwks', /must be an http\(s\) URL/],
    ['relative', '/jwks', /not an absolute URL/],
    ['not a string', 42, /no "jwks_uri" string/],
  ])('a jwks_uri that is %s is refused', async (_name, jwksUri, message) => {
    const server = await start()
    server.setJson(RFC8414, { issuer: server.issuer, jwks_uri: jwksUri })
    server.setJson(OPENID, { issuer: server.issuer, jwks_uri: jwksUri })
    const verifier = verifierFor(server.issuer)
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    expect(failure()).toMatch(message)
    expect(server.count('/jwks')).toBe(0)
  })

  it.each([
    ['not found anywhere', (server: JwksServer) => server.behave({ status: 404 }), /answered HTTP 404/],
    ['not JSON', (server: JwksServer) => server.behave('html'), /did not answer with valid JSON/],
    ['a JSON array', (server: JwksServer) => server.setJson(RFC8414, [1]), /metadata is not a JSON object/],
  ])('metadata %s gives a 503 with the reason', async (_name, misbehave, message) => {
    const server = await start()
    misbehave(server)
    const verifier = verifierFor(server.issuer)
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    expect(failure()).toMatch(message)
  })

  it('each location is named once in the reason', async () => {
    const server = await start()
    const verifier = verifierFor(server.issuer)
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    const reason = failure()
    expect(reason.split(`${server.url}${RFC8414}`)).toHaveLength(2)
    expect(reason.split(`${server.url}${OPENID}`)).toHaveLength(2)
  })

  it('a failed discovery is retried after the cooldown, once per cooldown', async () => {
    const server = await start()
    const verifier = verifierFor(server.issuer)
    const token = await sign(server, server.issuer)
    await unavailable(verifier.verify(token))
    server.setJson(RFC8414, { issuer: server.issuer, jwks_uri: server.jwksUri })
    clock.advance(29_999)
    await unavailable(verifier.verify(token))
    expect(server.count(RFC8414)).toBe(1)
    clock.advance(1)
    expect((await verifier.verify(token)).clientId).toBe('billing')
    expect(server.count(RFC8414)).toBe(2)
    expect(log.of('metadata_fetched')).toHaveLength(1)
  })

  it('metadata redirected to another origin is refused', async () => {
    const server = await start()
    const elsewhere = await startJwksServer({ keys: [await generateTestKey('ES256')] })
    servers.push(elsewhere)
    elsewhere.setJson(RFC8414, { issuer: server.issuer, jwks_uri: elsewhere.jwksUri })
    server.behave({ redirect: `${elsewhere.url}${RFC8414}` }, RFC8414)
    const verifier = verifierFor(server.issuer)
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    expect(failure()).toContain('redirected to another origin')
    expect(elsewhere.count()).toBe(0)
  })

  it('a hanging issuer gives a 503 within the timeout of each location', async () => {
    const server = await start()
    server.behave('hang')
    const verifier = verifierFor(server.issuer, { jwksCache: { timeout: 150 } })
    const started = performance.now()
    await unavailable(verifier.verify(await sign(server, server.issuer)))
    expect(performance.now() - started).toBeLessThan(2 * 150 + 800)
    expect(failure()).toMatch(/timed out after 150 ms.*timed out after 150 ms/)
  })
})
