import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { metadataUrls } from '../src/discovery.js'
import { createFakeClock } from './helpers/clock.js'
import { type Scripted, startServer, type TestServer } from './helpers/http-server.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

let server: TokenEndpoint | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

type Metadata = Record<string, Scripted | (() => Scripted)>

async function serve(metadata: (url: string) => Metadata) {
  // The metadata names the server's own URL, which is only known once it listens.
  const paths: Metadata = {}
  server = await startTokenEndpoint({ metadata: paths })
  Object.assign(paths, metadata(server.url))
  return server
}

function client(issuer: string, extra: { retries?: number } & Partial<TokenClientOptions> = {}) {
  const clock = createFakeClock()
  const { retries, ...options } = extra
  return createTokenClient({
    issuer,
    clientId: 'billing',
    clientSecret: 'billing-secret',
    clock: clock.now,
    sleep: clock.sleep,
    retry: { retries: retries ?? 0, minDelay: 1, maxDelay: 2 },
    ...options,
  } as TokenClientOptions)
}

describe('metadataUrls', () => {
  it('inserts the RFC 8414 well-known segment before the path, then appends the OpenID one', () => {
    expect(metadataUrls('https://auth.example.com')).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server',
      'https://auth.example.com/.well-known/openid-configuration',
    ])
    expect(metadataUrls('https://auth.example.com/tenants/a/')).toEqual([
      'https://auth.example.com/.well-known/oauth-authorization-server/tenants/a',
      'https://auth.example.com/tenants/a/.well-known/openid-configuration',
    ])
  })
})

describe('discovery from issuer', () => {
  it('finds the token endpoint in RFC 8414 metadata, once', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server/tenant': {
        body: { issuer: `${url}/tenant`, token_endpoint: `${url}/token` },
      },
    }))
    const c = client(`${s.url}/tenant`)
    expect(await c.getToken()).toBe('token-1')
    c.invalidate()
    expect(await c.getToken()).toBe('token-2')
    expect(s.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server/tenant',
      '/token',
      '/token',
    ])
  })

  it('falls back to OpenID Connect discovery', async () => {
    const s = await serve((url) => ({
      '/.well-known/openid-configuration': { body: { issuer: url, token_endpoint: `${url}/token` } },
    }))
    expect(await client(s.url).getToken()).toBe('token-1')
    expect(s.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/token',
    ])
  })

  it('refuses metadata that names another issuer', async () => {
    const s = await serve(() => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: 'https://evil.example.com', token_endpoint: 'https://evil.example.com/token' },
      },
    }))
    await expect(client(s.url, { retries: 3 }).getToken()).rejects.toMatchObject({
      name: 'TokenRequestError',
      reason: 'discovery_failed',
      retryable: false,
      message: expect.stringContaining('different issuer'),
    })
    expect(s.tokenRequests).toHaveLength(0)
    expect(s.requests).toHaveLength(1)
  })

  it('compares the issuer exactly (a trailing slash matters)', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: `${url}/`, token_endpoint: `${url}/token` },
      },
    }))
    await expect(client(s.url).getToken()).rejects.toMatchObject({ reason: 'discovery_failed' })
  })

  it.each([
    ['no token_endpoint', {}],
    ['a relative token_endpoint', { token_endpoint: '/token' }],
    ['a non-http token_endpoint', { token_endpoint: 'javascript:alert(1)' }],
  ])('refuses metadata with %s', async (_, fields) => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': { body: { issuer: url, ...fields } },
    }))
    await expect(client(s.url).getToken()).rejects.toMatchObject({
      reason: 'discovery_failed',
      retryable: false,
    })
  })

  it('fails when neither location has metadata', async () => {
    const s = await serve(() => ({}))
    await expect(client(s.url).getToken()).rejects.toMatchObject({
      reason: 'discovery_failed',
      status: 404,
      message: expect.stringContaining('no authorization server metadata'),
    })
  })

  it('retries a metadata endpoint that answers 503, and does not remember the failure', async () => {
    let calls = 0
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': () => {
        calls++
        return calls === 1
          ? { status: 503, headers: { 'retry-after': '0' } }
          : { body: { issuer: url, token_endpoint: `${url}/token` } }
      },
    }))
    expect(await client(s.url, { retries: 1 }).getToken()).toBe('token-1')
    expect(calls).toBe(2)
  })
})

// RFC 6749 §3.2: the token endpoint gets the secret in clear text, so discovery must not let the
// metadata (or whoever serves a redirected copy of it) send it over plain http or to another origin.
describe('discovery never sends the secret in clear or to another origin', () => {
  let pki: TestCertificates
  const servers: TestServer[] = []
  beforeAll(async () => {
    pki = await createTestCertificates()
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  // A plain-http server that would take the secret: it must never see a request.
  async function plainTokenEndpoint() {
    const s = await startTokenEndpoint()
    servers.push(s)
    return s
  }
  // A real HTTPS issuer on 127.0.0.1 with a test CA's certificate, trusted through the fetch.
  async function httpsIssuer(answer: (url: string) => Metadata) {
    const paths: Metadata = {}
    let n = 0
    const s = await startServer((request) => {
      if (request.path === '/token')
        return { body: { access_token: `tls-token-${++n}`, token_type: 'Bearer' } }
      const scripted = paths[request.path] ?? { status: 404 }
      return typeof scripted === 'function' ? scripted() : scripted
    }, pki.server)
    servers.push(s)
    Object.assign(paths, answer(s.url))
    return s
  }
  const trusting = () => {
    const dispatcher = new Agent({ connect: { ca: pki.ca } })
    return ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as string, { ...init, dispatcher } as never)) as unknown as typeof fetch
  }
  const refused = (...parts: string[]) => ({
    name: 'TokenRequestError',
    reason: 'discovery_failed',
    retryable: false,
    message: expect.stringMatching(new RegExp(parts.join('.*'))),
  })

  it('an https issuer: its https token endpoint is used (the baseline of the refusals below)', async () => {
    const s = await httpsIssuer((url) => ({
      '/.well-known/oauth-authorization-server': { body: { issuer: url, token_endpoint: `${url}/token` } },
    }))
    expect(await client(s.url, { fetch: trusting() }).getToken()).toBe('tls-token-1')
  })

  it('an https issuer whose metadata names an http token_endpoint: refused at discovery, nothing sent', async () => {
    const plain = await plainTokenEndpoint()
    const s = await httpsIssuer((url) => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: url, token_endpoint: plain.tokenEndpoint },
      },
    }))
    await expect(client(s.url, { fetch: trusting(), retries: 3 }).getToken()).rejects.toMatchObject(
      refused('token_endpoint', plain.tokenEndpoint, 'plain http while the issuer is https', 'RFC 6749 §3.2'),
    )
    expect(plain.requests).toHaveLength(0)
    expect(s.requests).toHaveLength(1)
  })

  it('an https issuer whose mtls_endpoint_aliases.token_endpoint is http: refused', async () => {
    const plain = await plainTokenEndpoint()
    const billing = await pki.issueClient('billing')
    const s = await httpsIssuer((url) => ({
      '/.well-known/oauth-authorization-server': {
        body: {
          issuer: url,
          token_endpoint: `${url}/token`,
          mtls_endpoint_aliases: { token_endpoint: plain.tokenEndpoint },
        },
      },
    }))
    const c = client(s.url, { tls: { cert: billing.cert, key: billing.key, ca: pki.ca } })
    await expect(c.getToken()).rejects.toMatchObject(
      refused('mtls_endpoint_aliases.token_endpoint', 'plain http'),
    )
    expect(plain.requests).toHaveLength(0)
  })

  it('an https issuer whose metadata redirects to http: refused, the http side never asked', async () => {
    const plain = await plainTokenEndpoint()
    const s = await httpsIssuer(() => ({
      '/.well-known/oauth-authorization-server': {
        status: 302,
        headers: { location: `${plain.url}/.well-known/oauth-authorization-server` },
      },
    }))
    await expect(client(s.url, { fetch: trusting() }).getToken()).rejects.toMatchObject(
      refused('redirected to another origin', plain.url),
    )
    expect(plain.requests).toHaveLength(0)
  })

  it('an http issuer on loopback: an http token_endpoint off the machine is refused', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: url, token_endpoint: 'http://tokens.example.net/token' },
      },
    }))
    await expect(client(s.url).getToken()).rejects.toMatchObject(
      refused('http://tokens.example.net/token', 'not loopback'),
    )
    expect(s.tokenRequests).toHaveLength(0)
  })

  it('an http issuer that is not on loopback: its http token_endpoint is refused', async () => {
    // No non-loopback host runs here: the fetch carries http://auth.internal to a real local server.
    const s = await serve(() => ({
      '/.well-known/oauth-authorization-server': {
        body: { issuer: 'http://auth.internal', token_endpoint: 'http://auth.internal/token' },
      },
    }))
    const local = new URL(s.url)
    const routed = ((input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input))
      url.host = local.host
      return fetch(url, init)
    }) as typeof fetch
    await expect(client('http://auth.internal', { fetch: routed }).getToken()).rejects.toMatchObject(
      refused('token_endpoint', 'only from an issuer on loopback', '"tokenEndpoint"'),
    )
    expect(s.requests.map((request) => request.path)).toEqual(['/.well-known/oauth-authorization-server'])
  })

  it('refuses a metadata redirect to another origin: the other origin is never asked', async () => {
    const elsewhere = await plainTokenEndpoint()
    const s = await serve(() => ({
      '/.well-known/oauth-authorization-server': {
        status: 302,
        headers: { location: `${elsewhere.url}/meta` },
      },
    }))
    await expect(client(s.url, { retries: 3 }).getToken()).rejects.toMatchObject(
      refused('redirected to another origin'),
    )
    expect(elsewhere.requests).toHaveLength(0)
    expect(s.requests).toHaveLength(1)
  })

  it('follows a redirect within the issuer origin, at most 3 times', async () => {
    const s = await serve((url) => ({
      '/.well-known/oauth-authorization-server': { status: 301, headers: { location: '/moved' } },
      '/moved': { status: 307, headers: { location: `${url}/metadata.json` } },
      '/metadata.json': { body: { issuer: url, token_endpoint: `${url}/token` } },
    }))
    expect(await client(s.url).getToken()).toBe('token-1')
    expect(s.requests.map((request) => request.path)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/moved',
      '/metadata.json',
      '/token',
    ])
    servers.push(s) // serve() closes only the last server it started
    const looping = await serve(() => ({
      '/.well-known/oauth-authorization-server': { status: 302, headers: { location: '/loop' } },
      '/loop': { status: 302, headers: { location: '/loop' } },
    }))
    await expect(client(looping.url).getToken()).rejects.toMatchObject(refused('more than 3 redirects'))
    expect(looping.requests).toHaveLength(4)
  })
})
