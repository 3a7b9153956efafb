import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createTokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { type ClientCertificate, createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from './helpers/http-server.js'

// Real HTTPS servers on 127.0.0.1 that ask for a client certificate, with throwaway certificates
// from a test CA (@peculiar/x509).
let pki: TestCertificates
let billing: ClientCertificate
let stranger: ClientCertificate
beforeAll(async () => {
  pki = await createTestCertificates()
  billing = await pki.issueClient('billing')
  stranger = await pki.issueClient('stranger')
})

let issuer: TestServer
let api: TestServer
beforeEach(async () => {
  let n = 0
  issuer = await startServer(
    () => ({ body: { access_token: `mtls-token-${++n}`, token_type: 'Bearer', expires_in: 600 } }),
    pki.server,
  )
  api = await startServer(
    (request) =>
      request.headers.authorization === 'Bearer mtls-token-1' ? { body: { ok: true } } : { status: 401 },
    pki.server,
  )
})
afterEach(async () => {
  await api.close()
  await issuer.close()
})

const subjectOf = (certificate: X509Certificate | undefined) => certificate?.subject

function client(extra: Partial<TokenClientOptions> = {}) {
  return createTokenClient({
    tokenEndpoint: `${issuer.url}/token`,
    clientId: 'billing',
    authMethod: 'tls_client_auth',
    tls: { cert: billing.cert, key: billing.key, ca: pki.ca },
    ...extra,
  } as TokenClientOptions)
}

describe('tls_client_auth and self_signed_tls_client_auth', () => {
  it.each(['tls_client_auth', 'self_signed_tls_client_auth'] as const)(
    '%s presents the certificate and sends only client_id in the form',
    async (authMethod) => {
      expect(await client({ authMethod }).getToken()).toBe('mtls-token-1')
      const [request] = issuer.requests
      expect(subjectOf(request?.peerCertificate)).toBe(new X509Certificate(billing.cert).subject)
      expect(request?.peerCertificate?.raw.equals(new X509Certificate(billing.cert).raw)).toBe(true)
      expect(request?.headers.authorization).toBeUndefined()
      expect([...(request?.form.keys() ?? [])].sort()).toEqual(['client_id', 'grant_type'])
      expect(request?.form.get('client_id')).toBe('billing')
    },
  )

  it('client.fetch presents the same certificate to the API, with the token as Bearer', async () => {
    const c = client()
    const res = await c.fetch(`${api.url}/orders`)
    expect(res.status).toBe(200)
    expect(subjectOf(api.requests[0]?.peerCertificate)).toBe(new X509Certificate(billing.cert).subject)
    expect(api.requests[0]?.headers.authorization).toBe('Bearer mtls-token-1')
  })

  it('a secret-authenticated client can present a certificate too (certificate-bound tokens)', async () => {
    await createTokenClient({
      tokenEndpoint: `${issuer.url}/token`,
      clientId: 'billing',
      clientSecret: 'billing-secret',
      tls: { cert: billing.cert, key: Buffer.from(billing.key), ca: [pki.ca] },
    }).getToken()
    expect(subjectOf(issuer.requests[0]?.peerCertificate)).toBe(new X509Certificate(billing.cert).subject)
    expect(issuer.requests[0]?.headers.authorization).toMatch(/^Basic /)
  })

  it('without tls, no certificate is presented (the server sees none)', async () => {
    // Node's default trust store does not know the test CA; a custom fetch accepting it is not
    // the point here, so use plain HTTP for the comparison.
    const plain = await startServer(() => ({ body: { access_token: 'x', token_type: 'Bearer' } }))
    try {
      await createTokenClient({
        tokenEndpoint: `${plain.url}/token`,
        clientId: 'a',
        clientSecret: 'b',
      }).getToken()
      expect(plain.requests[0]?.peerCertificate).toBeUndefined()
    } finally {
      await plain.close()
    }
  })

  it('refuses a server whose certificate is not from the given CA', async () => {
    const other = await createTestCertificates()
    const error = await client({
      tls: { cert: billing.cert, key: billing.key, ca: other.ca },
      retry: false,
    })
      .getToken()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ reason: 'network_error' })
    expect(issuer.requests).toHaveLength(0)
  })

  it('passes the certificate agent to a custom fetch as init.dispatcher', async () => {
    const seen: unknown[] = []
    await client({
      fetch: (input, init) => {
        seen.push((init as { dispatcher?: unknown } | undefined)?.dispatcher)
        return fetch(input, init)
      },
    }).getToken()
    expect(seen).toHaveLength(1)
    expect(seen[0]).toHaveProperty('dispatch')
    expect(subjectOf(issuer.requests[0]?.peerCertificate)).toBe(new X509Certificate(billing.cert).subject)
  })
})

describe('the certificate agent and the process lifetime', { timeout: 20_000 }, () => {
  it('idle mTLS connections do not keep the process alive', async () => {
    // Seen from outside: a child process gets a token and calls the API, then must exit by itself.
    const script = `
import { createTokenClient } from '@m2m-guard/client'
const tls = JSON.parse(process.env.TLS)
const client = createTokenClient({ tokenEndpoint: process.env.TOKEN, clientId: 'billing', authMethod: 'tls_client_auth', tls })
const res = await client.fetch(process.env.API)
console.log(res.status)
`
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        {
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          timeout: 15_000,
          env: {
            ...process.env,
            TLS: JSON.stringify({ cert: billing.cert, key: billing.key, ca: pki.ca }),
            TOKEN: `${issuer.url}/token`,
            API: `${api.url}/orders`,
          },
        },
        (_, stdout) => resolve({ code: child.exitCode, stdout }),
      )
    })
    // Held open by a keep-alive socket, the child would be killed at 15 s (code null).
    expect(result).toEqual({ code: 0, stdout: '200\n' })
  })
})

describe('tls option validation', () => {
  const create = (options: Record<string, unknown>) => () =>
    createTokenClient({
      tokenEndpoint: 'https://auth.example/token',
      clientId: 'billing',
      ...options,
    } as unknown as TokenClientOptions)

  it.each<[string, () => Record<string, unknown>, RegExp]>([
    [
      'tls_client_auth without tls',
      () => ({ authMethod: 'tls_client_auth' }),
      /"tls" option is required with tls_client_auth/,
    ],
    [
      'an http: token endpoint with tls_client_auth',
      () => ({
        tokenEndpoint: 'http://auth.example/token',
        authMethod: 'tls_client_auth',
        tls: { cert: billing.cert, key: billing.key },
      }),
      /"tokenEndpoint" option must be https: with tls_client_auth/,
    ],
    [
      'an http: issuer with self_signed_tls_client_auth',
      () => ({
        tokenEndpoint: undefined,
        issuer: 'http://auth.example',
        authMethod: 'self_signed_tls_client_auth',
        tls: { cert: billing.cert, key: billing.key },
      }),
      /"issuer" option must be https: with self_signed_tls_client_auth/,
    ],
    [
      'a secret with tls_client_auth',
      () => ({
        authMethod: 'tls_client_auth',
        clientSecret: 's',
        tls: { cert: billing.cert, key: billing.key },
      }),
      /"clientSecret" option must not be set with tls_client_auth/,
    ],
    [
      'tls that is not an object',
      () => ({ clientSecret: 's', tls: 'cert.pem' }),
      /"tls" option must be \{ cert, key, ca\? \}/,
    ],
    [
      'a cert that is not PEM',
      () => ({ clientSecret: 's', tls: { cert: 'hello', key: billing.key } }),
      /"tls.cert" option must be PEM/,
    ],
    [
      'a cert that does not parse',
      () => ({
        clientSecret: 's',
        tls: { cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', key: billing.key },
      }),
      /"tls.cert" option is not a valid X.509 certificate/,
    ],
    [
      'a key that does not parse',
      () => ({
        clientSecret: 's',
        tls: { cert: billing.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      }),
      /"tls.key" option is not a valid private key/,
    ],
    [
      'a key of another certificate',
      () => ({ clientSecret: 's', tls: { cert: billing.cert, key: stranger.key } }),
      /"tls.key" option does not belong to "tls.cert"/,
    ],
    [
      'a ca that is not PEM',
      () => ({ clientSecret: 's', tls: { cert: billing.cert, key: billing.key, ca: 42 } }),
      /"tls.ca" option must be PEM text or a Buffer/,
    ],
    [
      'an empty ca list',
      () => ({ clientSecret: 's', tls: { cert: billing.cert, key: billing.key, ca: [] } }),
      /"tls.ca" option must not be an empty list/,
    ],
  ])('%s: TypeError naming the option', (_, options, message) => {
    expect(create(options())).toThrow(TypeError)
    expect(create(options())).toThrow(message)
  })

  it('never quotes the key in a message', () => {
    const broken = billing.key.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nZZ')
    let message = ''
    try {
      create({ clientSecret: 's', tls: { cert: billing.cert, key: broken } })()
    } catch (error) {
      message = String(error)
    }
    expect(message).toMatch(/"tls.key"/)
    expect(message).not.toContain(billing.key.split('\n')[1])
  })
})
