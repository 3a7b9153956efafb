import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, killAll, line, symbols } from './run-cli.js'

const AUDIENCE = 'https://orders.example'
let server: AuthServer

beforeAll(async () => {
  server = await createAuthServer({ audience: AUDIENCE })
})
afterEach(() => {
  server.clearFaults()
  killAll()
})
afterAll(() => server.close())

const doctor = (...args: string[]) => cli(['doctor', '--audience', AUDIENCE, ...args])

describe('m2m-guard doctor', () => {
  it('passes every check of a healthy issuer, one line each, and exits 0', async () => {
    const { code, stdout, stderr } = await doctor('--issuer', server.issuer)
    expect(stderr).toBe('')
    expect(symbols(stdout)).toEqual({
      'issuer URL': '✓',
      discovery: '✓',
      'issuer equality': '✓',
      jwks_uri: '✓',
      JWKS: '✓',
      keys: '✓',
      'Cache-Control': '✓',
      redirects: '✓',
      'clock skew': '✓',
      verifier: '✓',
    })
    expect(line(stdout, '✓', 'discovery')).toContain(`RFC 8414 metadata at ${server.metadataUrl}`)
    expect(line(stdout, '✓', 'keys')).toContain(
      `1 signing key: RSA 2048 RS256 kid ${server.keys.current.kid}`,
    )
    expect(line(stdout, '✓', 'Cache-Control')).toContain('max-age=300: core keeps the keys 5 min')
    expect(line(stdout, '✓', 'verifier')).toContain("core's verifier fetched 1 usable key")
    // Not a TTY: no colours, no progress line.
    for (const control of ['\u001b', '\r']) expect(stdout + stderr).not.toContain(control)
    expect(code).toBe(0)
  })

  it('finds the metadata of an issuer with a path by inserting the well-known path (RFC 8414 §3.1)', async () => {
    const tenant = await createAuthServer({ audience: AUDIENCE, issuerPath: '/tenant-a', algorithm: 'ES256' })
    try {
      const { code, stdout } = await doctor('--issuer', tenant.issuer)
      const origin = new URL(tenant.issuer).origin
      expect(line(stdout, '✓', 'discovery')).toContain(
        `RFC 8414 metadata at ${origin}/.well-known/oauth-authorization-server/tenant-a`,
      )
      expect(line(stdout, '✓', 'keys')).toContain('EC P-256 ES256')
      expect(code).toBe(0)
    } finally {
      await tenant.close()
    }
  })

  it('points at a trailing-slash difference between --issuer and the metadata', async () => {
    const { code, stdout } = await doctor('--issuer', `${server.issuer}/`)
    const mismatch = line(stdout, '✗', 'issuer equality')
    expect(mismatch).toContain(
      `metadata names "${server.issuer}", not "${server.issuer}/": they differ only by a trailing slash`,
    )
    expect(stdout).toContain(
      `fix: configure the issuer exactly as the server writes it: --issuer ${server.issuer} `,
    )
    expect(symbols(stdout).verifier).toBe('–')
    expect(code).toBe(1)
  })

  it('refuses metadata that names another issuer', async () => {
    server.setFault('metadata', {
      status: 200,
      body: { ...server.metadata, issuer: 'https://impostor.example' },
    })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    expect(line(stdout, '✗', 'issuer equality')).toContain('metadata names "https://impostor.example"')
    expect(stdout).toContain('fix: the metadata belongs to another issuer')
    expect(code).toBe(1)
  })

  it('reports a key set that is down, and core cannot warm up', async () => {
    server.setFault('jwks', 'down')
    const { code, stdout } = await doctor('--issuer', server.issuer)
    expect(line(stdout, '✗', 'JWKS')).toContain(`${server.jwksUri} answered HTTP 503`)
    expect(stdout).toContain('fix: the issuer is failing: core serves cached keys')
    expect(line(stdout, '✗', 'verifier')).toContain('warmUp() failed')
    expect(code).toBe(1)
  })

  it('gives up on a slow key set after --timeout, as core would', async () => {
    server.setFault('jwks', 'slow', { delayMs: 3000 })
    const { code, stdout } = await doctor('--issuer', server.issuer, '--timeout', '300')
    expect(line(stdout, '✗', 'JWKS')).toContain('no answer within 300 ms')
    expect(stdout).toContain('fix: the issuer is too slow or unreachable')
    expect(code).toBe(1)
  })

  it('names an unreachable issuer without a stack trace', async () => {
    const port = await closedPort()
    const { code, stdout, stderr } = await doctor('--issuer', `http://127.0.0.1:${port}`)
    expect(line(stdout, '✗', 'discovery')).toMatch(/could not|ECONNREFUSED|fetch failed/)
    expect(stdout).toContain('ECONNREFUSED')
    expect(stderr).toBe('')
    expect(stdout).not.toMatch(/\n\s+at /)
    expect(code).toBe(1)
  })

  it("measures clock skew from the issuer's Date header", async () => {
    const ahead = new Date(Date.now() + 10 * 60_000).toUTCString()
    server.setFault('jwks', {
      status: 200,
      headers: { date: ahead, 'cache-control': 'max-age=300' },
      body: server.keys.jwks,
    })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    const skew = line(stdout, '✗', 'clock skew')
    expect(skew).toMatch(/\+(9 min 59 s|10 min|10 min 1 s) \(issuer's Date/)
    expect(skew).toContain("the issuer's clock is ahead")
    expect(stdout).toContain('fix: synchronise the clocks (NTP)')
    expect(code).toBe(1)
  })

  it('measures the skew of a testing server whose clock is ahead (its Date header follows its clock)', async () => {
    const ahead = await createAuthServer({ audience: AUDIENCE, clock: () => Date.now() + 10 * 60_000 })
    try {
      const { code, stdout } = await doctor('--issuer', ahead.issuer)
      const skew = line(stdout, '✗', 'clock skew')
      expect(skew).toMatch(/\+(9 min 59 s|10 min|10 min 1 s) \(issuer's Date/)
      expect(code).toBe(1)
    } finally {
      await ahead.close()
    }
  })

  it('warns about a key set without Cache-Control, and still exits 0', async () => {
    server.setFault('jwks', { status: 200, body: server.keys.jwks })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    expect(line(stdout, '!', 'Cache-Control')).toContain('none: core keeps the keys for jwksCache.maxAge')
    expect(code).toBe(0)
  })

  it("lists the keys core skips with core's own reasons, as a warning", async () => {
    const [good] = server.keys.jwks.keys
    server.setFault('jwks', {
      status: 200,
      headers: { 'cache-control': 'max-age=300' },
      body: {
        keys: [good, { ...good, kid: 'for-encryption', use: 'enc' }, { ...good, kid: 'hmac', alg: 'HS256' }],
      },
    })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    const keys = line(stdout, '!', 'keys')
    expect(keys).toContain(`1 signing key: RSA 2048 RS256 kid ${good?.kid}; skipped `)
    expect(keys).toContain('kid for-encryption: "use" is "enc", not "sig"')
    expect(keys).toContain('kid hmac: "alg" "HS256" does not fit the key type')
    expect(code).toBe(0)
  })

  it('fails a key set that publishes secret key material', async () => {
    server.setFault('jwks', { status: 200, body: { keys: [{ kty: 'oct', kid: 'shared', k: 'c2VjcmV0' }] } })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    expect(line(stdout, '✗', 'keys')).toContain(
      'kid shared: private or symmetric key material in a public key set',
    )
    expect(stdout).toContain('fix: the issuer is publishing secret keys: rotate them now')
    expect(code).toBe(1)
  })

  it('refuses a redirect to another origin, as core does', async () => {
    server.setFault('jwks', {
      status: 302,
      headers: { location: 'https://elsewhere.example/jwks' },
      body: '',
    })
    const { code, stdout } = await doctor('--issuer', server.issuer)
    expect(line(stdout, '✗', 'JWKS')).toContain('redirected to another origin (https://elsewhere.example)')
    expect(line(stdout, '✗', 'redirects')).toContain(`${server.jwksUri} → https://elsewhere.example/jwks`)
    expect(code).toBe(1)
  })

  it('refuses plain http on a non-loopback host before any request', async () => {
    const { code, stdout } = await doctor('--issuer', 'http://idp.example.invalid')
    expect(line(stdout, '✗', 'issuer URL')).toContain('plain http on idp.example.invalid: core refuses it')
    expect(stdout).toContain('fix: use https')
    expect(symbols(stdout).discovery).toBeUndefined()
    expect(code).toBe(1)
  })

  it('uses --jwks-uri instead of discovery', async () => {
    server.setFault('metadata', 'down')
    const { code, stdout } = await doctor('--issuer', server.issuer, '--jwks-uri', server.jwksUri)
    expect(line(stdout, '–', 'discovery')).toContain(
      'not checked: the key URL is given (jwksUri, --jwks-uri)',
    )
    expect(symbols(stdout).verifier).toBe('✓')
    expect(code).toBe(0)
  })

  it('--json gives the same checks as data', async () => {
    const { code, stdout } = await doctor('--issuer', server.issuer, '--json')
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({
      ok: true,
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
    })
    expect(report.checks.map((check: { id: string }) => check.id)).toEqual([
      'issuer_url',
      'discovery',
      'issuer',
      'jwks_uri',
      'jwks',
      'keys',
      'cache_control',
      'redirects',
      'clock',
      'verifier',
    ])
    expect(code).toBe(0)
  })
})

describe('m2m-guard doctor --config', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'm2m-guard-doctor-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const config = async (name: string, options: unknown) => {
    const file = join(dir, name)
    await writeFile(file, JSON.stringify(options))
    return file
  }

  it('checks every issuer the config names, each under its name', async () => {
    const other = await createAuthServer({ audience: AUDIENCE, algorithm: 'EdDSA' })
    try {
      // Two issuers sharing one key set URL is what core demands of a top-level list.
      const file = await config('two.json', {
        issuer: [server.issuer, other.issuer],
        audience: AUDIENCE,
        jwksUri: other.jwksUri,
      })
      const { code, stdout } = await cli(['doctor', '--config', file])
      const sections = stdout.split('\n\n')
      expect(sections[0]?.split('\n')[0]).toBe(server.issuer)
      expect(sections[1]?.split('\n')[0]).toBe(other.issuer)
      expect(line(sections[1] ?? '', '✓', 'keys')).toContain('OKP Ed25519 EdDSA')
      expect(line(sections[0] ?? '', '–', 'discovery')).toContain('the key URL is given')
      expect(code).toBe(0)
    } finally {
      await other.close()
    }
  })

  it('fails when one of the issuers fails, and --json lists them all', async () => {
    server.setFault('jwks', 'down')
    const file = await config('one.json', { issuer: server.issuer, audience: AUDIENCE })
    const { code, stdout } = await cli(['doctor', '--config', file, '--json'])
    const report = JSON.parse(stdout)
    expect(report.ok).toBe(false)
    expect(report.issuers.map((each: { label: string; ok: boolean }) => [each.label, each.ok])).toEqual([
      [server.issuer, false],
    ])
    expect(code).toBe(1)
  })

  it('refuses options core does not know, before any request: exit 2', async () => {
    server.resetCounters()
    const file = await config('typo.json', { issuer: server.issuer, audiences: AUDIENCE })
    const { code, stderr } = await cli(['doctor', '--config', file])
    expect(stderr).toContain(`m2m-guard: config file ${file}: unknown option "audiences"`)
    expect(server.requests.metadata + server.requests.jwks).toBe(0)
    expect(code).toBe(2)
  })
})

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}
