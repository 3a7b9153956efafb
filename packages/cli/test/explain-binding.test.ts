import { createHash, X509Certificate } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { explainToken } from '@m2m-guard/cli'
import { AuthError, createVerifier, type RequestInfo } from '@m2m-guard/core'
import {
  type AuthServer,
  createAuthServer,
  createTestCertificates,
  type TestCertificates,
} from '@m2m-guard/testing'
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectHttpAnswer } from './http-answer.js'
import { cli, killAll, line } from './run-cli.js'

const AUDIENCE = 'https://orders.example'
const URL_CALLED = 'https://orders.example/orders?page=2'
let server: AuthServer
let flags: string[]
let dir: string

interface DpopKey {
  privateKey: CryptoKey
  jwk: JWK
  jkt: string
}

async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
}

const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString('base64url')

/** A real proof, signed by `key`, for `htm` `htu` and (its ath) `token`. */
async function proof(key: DpopKey, htm: string, htu: string, token?: string): Promise<string> {
  return new SignJWT({
    jti: crypto.randomUUID(),
    htm,
    htu,
    ...(token === undefined ? {} : { ath: await sha256(token) }),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey)
}

/** A DPoP-bound token from the testing server's token endpoint, bound to `key`. */
async function dpopToken(key: DpopKey): Promise<string> {
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa('billing:s3cret')}`,
      dpop: await proof(key, 'POST', server.tokenEndpoint),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  })
  const body = (await response.json()) as { access_token: string; token_type: string }
  expect(body.token_type).toBe('DPoP')
  return body.access_token
}

/** Core's own answer to this request, in process: what the CLI must print. */
async function coreAnswer(request: RequestInfo, binding: 'dpop' | 'mtls' = 'dpop'): Promise<AuthError> {
  const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, [binding]: {} })
  const error = await verifier.authenticateRequest(request).then(
    () => undefined,
    (rejection: unknown) => rejection,
  )
  if (!(error instanceof AuthError)) throw new Error('expected core to refuse the request')
  return error
}

beforeAll(async () => {
  server = await createAuthServer({
    audience: AUDIENCE,
    clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
  })
  flags = ['--issuer', server.issuer, '--audience', AUDIENCE]
  dir = await mkdtemp(join(tmpdir(), 'm2m-guard-explain-'))
})
afterEach(() => killAll())
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

const explain = (token: string, ...args: string[]) => cli(['explain', token, ...flags, ...args])

describe('m2m-guard explain a DPoP-bound token', () => {
  it('accepts a proof of the bound key for this request: binding ✓ after the token checks, exit 0', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', 'https://orders.example/orders', token)
    const { code, stdout, stderr } = await explain(token, '--dpop', dpop, '--url', URL_CALLED)
    expect(stderr).toBe('')
    const labels = stdout
      .split('\n')
      .filter((text) => /^[✓✗–] /.test(text))
      .map((text) => text.split(/\s+/)[1])
    expect(labels.slice(labels.indexOf('typ'))).toEqual(['typ', 'binding', 'scopes', 'client'])
    expect(line(stdout, '✓', 'binding')).toBe(
      `✓ binding DPoP proof of key ${key.jkt} (cnf.jkt), htm GET, htu https://orders.example/orders`,
    )
    expect(stdout).toContain('verdict  ✓ accepted: client billing')
    expect(code).toBe(0)
  })

  it('names both URLs of a proof for another URL, the proxy settings to check, and the 401 with its DPoP challenge', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', 'https://orders.example/orders', token)
    // What the service sees behind a TLS-terminating proxy without trust proxy.
    const seen = 'http://10.0.0.7:3000/orders'
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', seen)
    expect(line(stdout, '✗', 'binding')).toBe(
      `✗ binding DPoP proof 'htu' does not match the request URL; the proof's htu https://orders.example/orders, the request URL ${seen}`,
    )
    expect(stdout).toContain(
      `fix: the client signed https://orders.example/orders, the service saw ${seen}: behind a TLS-terminating proxy`,
    )
    expect(stdout).toContain("Express app.set('trust proxy', …), Koa app.proxy = true, Fastify trustProxy")
    expect(stdout).toContain('verdict  ✗ refused: 401 invalid_dpop_proof, reason dpop_url_mismatch')
    const error = await coreAnswer({
      method: 'GET',
      url: seen,
      headers: { authorization: `DPoP ${token}`, dpop },
    })
    expect(error.headers['WWW-Authenticate']).toMatch(/(^|, )DPoP error="invalid_dpop_proof"/)
    expectHttpAnswer(stdout, error)
    expect(stdout).toContain('a 401 invalid_dpop_proof: the client must retry with a new, correct proof')
    expect(stdout).not.toContain('get a new token and try again')
    expect(line(stdout, '–', 'scopes')).toBeDefined()
    expect(code).toBe(1)
  })

  it('says a DPoP-bound token without --dpop needs its proof, never ✓', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const { code, stdout } = await explain(token)
    expect(line(stdout, '✗', 'binding')).toBe(
      `✗ binding the DPoP scheme needs a DPoP proof header; DPoP-bound to key ${key.jkt} (cnf.jkt); no proof given (--dpop)`,
    )
    expect(stdout).toContain("fix: pass the request's DPoP header with --dpop")
    expect(stdout).not.toContain('✓ accepted')
    expectHttpAnswer(
      stdout,
      await coreAnswer({ method: 'GET', url: URL_CALLED, headers: { authorization: `DPoP ${token}` } }),
    )
    expect(code).toBe(1)
  })

  it('names both keys of a proof signed by another key', async () => {
    const key = await dpopKey()
    const other = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(other, 'GET', URL_CALLED, token)
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', URL_CALLED)
    expect(line(stdout, '✗', 'binding')).toBe(
      `✗ binding DPoP proof key does not match the token binding; the proof's key ${other.jkt}, the token's cnf.jkt ${key.jkt}`,
    )
    expect(stdout).toContain('reason dpop_key_mismatch')
    expect(stdout).toContain('fix: the proof is signed by another key than the one the token is bound to')
    expect(code).toBe(1)
  })

  it("names the proof's ath and the token's for a proof made for another token", async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const older = await dpopToken(key)
    const dpop = await proof(key, 'GET', URL_CALLED, older)
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', URL_CALLED)
    expect(line(stdout, '✗', 'binding')).toBe(
      `✗ binding DPoP proof 'ath' does not match the access token; the proof's ath ${await sha256(older)}, this token's ${await sha256(token)}`,
    )
    expect(stdout).toContain('fix: the proof was made for another access token')
    expect(code).toBe(1)
  })

  it('checks the method given with --method', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', URL_CALLED, token)
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', URL_CALLED, '--method', 'POST')
    expect(line(stdout, '✗', 'binding')).toContain("the proof's htm GET, the request method POST")
    expect(stdout).toContain('reason dpop_method_mismatch')
    expect(code).toBe(1)
  })

  it('refuses a DPoP-bound token pasted with the Bearer scheme, as the service would', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', URL_CALLED, token)
    const { code, stdout } = await explain(`Bearer ${token}`, '--dpop', dpop, '--url', URL_CALLED)
    expect(line(stdout, '✗', 'binding')).toContain('a DPoP-bound token must be sent with the DPoP scheme')
    expect(stdout).toContain('fix: a DPoP-bound token goes as Authorization: DPoP <token>')
    expect(stdout).toContain('reason dpop_token_as_bearer')
    expect(code).toBe(1)
  })

  it('leaves the binding unreached when the token itself fails first', async () => {
    const key = await dpopKey()
    const token = await server.mint({ cnf: { jkt: key.jkt } }, { expiresIn: -120 })
    const dpop = await proof(key, 'GET', URL_CALLED, token)
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', URL_CALLED)
    expect(line(stdout, '✗', 'exp')).toBeDefined()
    expect(line(stdout, '–', 'binding')).toBe(
      `– binding not reached; DPoP proof of key ${key.jkt} (cnf.jkt), htm GET, htu ${URL_CALLED}`,
    )
    expect(code).toBe(1)
  })

  it('--json carries the binding check, the verdict and the request presented', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', 'https://orders.example/orders', token)
    const seen = 'http://10.0.0.7:3000/orders'
    const { code, stdout } = await explain(token, '--dpop', dpop, '--url', seen, '--json')
    const report = JSON.parse(stdout)
    expect(report.checks.find((check: { id: string }) => check.id === 'binding')).toMatchObject({
      status: 'fail',
      label: 'binding',
    })
    expect(report.verdict).toMatchObject({ accepted: false, status: 401, reason: 'dpop_url_mismatch' })
    expect(report.http.headers['WWW-Authenticate']).toMatch(/(^|, )DPoP error="invalid_dpop_proof"/)
    expect(report.request).toEqual({
      scheme: 'DPoP',
      method: 'GET',
      url: seen,
      proof: true,
      turnedOn: ['dpop'],
    })
    expect(report.fix).toContain('trust-proxy')
    expect(stdout).not.toContain(token.split('.')[2])
    expect(code).toBe(1)
  })

  it("says when it turns on dpop that the service's own options leave unset", async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', URL_CALLED, token)
    const config = join(dir, 'm2m.config.json')
    await writeFile(config, JSON.stringify({ issuer: server.issuer, audience: AUDIENCE }))
    const { code, stdout } = await cli([
      'explain',
      token,
      '--config',
      config,
      '--dpop',
      dpop,
      '--url',
      URL_CALLED,
    ])
    expect(line(stdout, '✓', 'binding')).toContain(
      'htu https://orders.example/orders?page=2; dpop turned on to check it (the options leave it unset)',
    )
    await writeFile(config, JSON.stringify({ issuer: server.issuer, audience: AUDIENCE, dpop: false }))
    const off = await cli(['explain', token, '--config', config, '--dpop', dpop, '--url', URL_CALLED])
    // As the service answers: the DPoP scheme is refused before the token is read.
    expect(line(off.stdout, '✗', 'binding')).toMatch(
      /^✗ binding Bearer authentication required; DPoP proof of key /,
    )
    expect(line(off.stdout, '–', 'signature')).toBeDefined()
    expect(off.stdout).toContain('reason unsupported_scheme')
    expect(off.stdout).toContain('fix: the options turn dpop off, so Authorization: DPoP is refused')
    expect([code, off.code]).toEqual([0, 1])
  })

  it('reads the proof from standard input with --dpop -, and keeps one standard input for one value', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const dpop = await proof(key, 'GET', URL_CALLED, token)
    const piped = await cli(['explain', token, ...flags, '--dpop', '-', '--url', URL_CALLED], {
      stdin: `DPoP: ${dpop}\n`,
    })
    expect(line(piped.stdout, '✓', 'binding')).toContain(`DPoP proof of key ${key.jkt} (cnf.jkt)`)
    const both = await cli(['explain', '-', ...flags, '--dpop', '-', '--url', URL_CALLED], { stdin: token })
    expect(both.stderr).toContain('the token and the DPoP proof cannot both come from standard input')
    expect([piped.code, both.code]).toEqual([0, 2])
  })

  it('documents the request flags in explain --help', async () => {
    const { code, stdout } = await cli(['explain', '--help'])
    expect(stdout).toMatch(/\n {2}--dpop PROOF {13}the request's DPoP header/)
    expect(stdout).toMatch(/\n {2}--url URL {16}the request's absolute URL/)
    expect(stdout).toMatch(/\n {2}--method M {15}the request's method \(default GET/)
    expect(stdout).toMatch(/\n {2}--cert FILE {14}the client certificate/)
    expect(code).toBe(0)
  })

  it('--dpop without --url is a usage error (exit 2)', async () => {
    const key = await dpopKey()
    const token = await dpopToken(key)
    const { code, stdout, stderr } = await explain(token, '--dpop', await proof(key, 'GET', URL_CALLED))
    expect(stderr).toContain('m2m-guard: --dpop needs --url')
    expect(stdout).toBe('')
    expect(code).toBe(2)
  })
})

describe('m2m-guard explain a certificate-bound token', () => {
  let pki: TestCertificates
  let billing: Awaited<ReturnType<TestCertificates['issueClient']>>
  let billingFile: string
  let reportsFile: string
  let reportsThumbprint: string
  let token: string
  beforeAll(async () => {
    pki = await createTestCertificates()
    billing = await pki.issueClient('billing')
    const reports = await pki.issueClient('reports')
    billingFile = join(dir, 'billing.pem')
    reportsFile = join(dir, 'reports.pem')
    await writeFile(billingFile, billing.cert)
    await writeFile(reportsFile, reports.cert)
    reportsThumbprint = createHash('sha256').update(new X509Certificate(reports.cert).raw).digest('base64url')
    expect(reportsThumbprint).toBe(reports.thumbprint)
    // Bound as the testing server binds over mutual TLS: cnf["x5t#S256"] of the client's certificate.
    token = await server.mint({ client_id: 'billing', cnf: { 'x5t#S256': billing.thumbprint } })
  })

  it('accepts it with its certificate: binding ✓ with the thumbprint, exit 0', async () => {
    const { code, stdout, stderr } = await explain(token, '--cert', billingFile)
    expect(stderr).toBe('')
    expect(line(stdout, '✓', 'binding')).toBe(
      `✓ binding client certificate ${billing.thumbprint} (cnf["x5t#S256"]), subject CN=billing, O=m2m-guard tests`,
    )
    expect(stdout).toContain('verdict  ✓ accepted: client billing')
    expect(code).toBe(0)
  })

  it('accepts a token the testing server bound over mutual TLS, with that certificate', async () => {
    const tls = await createAuthServer({
      audience: AUDIENCE,
      tls: { ...pki.server, ca: pki.ca },
      clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
    })
    try {
      const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString()
      const answer = await new Promise<{ access_token: string }>((resolve, reject) => {
        const req = request(
          tls.tokenEndpoint,
          {
            method: 'POST',
            ca: pki.ca,
            cert: billing.cert,
            key: billing.key,
            headers: {
              authorization: `Basic ${btoa('billing:s3cret')}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
          },
          (res) => {
            let text = ''
            res.on('data', (chunk) => {
              text += chunk
            })
            res.on('end', () => resolve(JSON.parse(text)))
          },
        )
        req.on('error', reject).end(body)
      })
      // The keys locally (jwks), so that explain needs no HTTPS client trusting the test CA.
      const config = join(dir, 'mtls.config.json')
      await writeFile(config, JSON.stringify({ issuer: tls.issuer, audience: AUDIENCE, jwks: tls.keys.jwks }))
      const { code, stdout } = await cli([
        'explain',
        answer.access_token,
        '--config',
        config,
        '--cert',
        billingFile,
      ])
      expect(line(stdout, '✓', 'binding')).toBe(
        `✓ binding client certificate ${billing.thumbprint} (cnf["x5t#S256"]), subject CN=billing, O=m2m-guard tests; mtls turned on to check it (the options leave it unset)`,
      )
      const other = await cli(['explain', answer.access_token, '--config', config, '--cert', reportsFile])
      expect(other.stdout).toContain('reason certificate_mismatch')
      expect([code, other.code]).toEqual([0, 1])
    } finally {
      await tls.close()
    }
  })

  it('refuses another certificate: certificate_mismatch with both thumbprints, 401 invalid_token', async () => {
    const { code, stdout } = await explain(token, '--cert', reportsFile)
    expect(line(stdout, '✗', 'binding')).toBe(
      `✗ binding the client certificate does not match the token binding; the certificate's thumbprint ${reportsThumbprint}, the token's cnf["x5t#S256"] ${billing.thumbprint}`,
    )
    expect(stdout).toContain('fix: this is not the certificate the token was issued to')
    expect(stdout).toContain('verdict  ✗ refused: 401 invalid_token, reason certificate_mismatch')
    expect(code).toBe(1)
  })

  it('says a certificate-bound token without --cert needs its certificate', async () => {
    const { code, stdout } = await explain(token)
    expect(line(stdout, '✗', 'binding')).toContain(
      `the token is bound to a client certificate; none was presented; certificate-bound to ${billing.thumbprint}`,
    )
    expect(stdout).toContain("fix: give the client's certificate with --cert FILE (PEM)")
    expectHttpAnswer(
      stdout,
      await coreAnswer(
        { method: 'GET', url: URL_CALLED, headers: { authorization: `Bearer ${token}` } },
        'mtls',
      ),
    )
    expect(code).toBe(1)
  })

  it('refuses a --cert that is not a certificate (exit 2)', async () => {
    const file = join(dir, 'not-a-cert.pem')
    await writeFile(file, 'hello')
    const { code, stderr } = await explain(token, '--cert', file)
    expect(stderr).toContain(`--cert ${file} is not a certificate (PEM or DER)`)
    expect(code).toBe(2)
  })

  it('takes the certificate as DER bytes through explainToken', async () => {
    const der = Buffer.from(billing.cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64')
    const report = await explainToken({
      token,
      options: { issuer: server.issuer, audience: AUDIENCE },
      source: 'a test',
      request: { certificate: new Uint8Array(der) },
    })
    expect(report.ok).toBe(true)
    expect(report.checks.find((check) => check.id === 'binding')?.status).toBe('pass')
    expect(report.request?.certificate).toBe(billing.thumbprint)
  })
})
