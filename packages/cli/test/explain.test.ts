import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AuthError, createVerifier, type Requirement } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { expectHttpAnswer } from './http-answer.js'
import { cli, killAll, line } from './run-cli.js'

const AUDIENCE = 'https://orders.example'
let server: AuthServer
let flags: string[]

beforeAll(async () => {
  server = await createAuthServer({ audience: AUDIENCE })
  flags = ['--issuer', server.issuer, '--audience', AUDIENCE]
})
afterEach(() => {
  server.clearFaults()
  killAll()
})
afterAll(() => server.close())

const explain = (token: string, ...args: string[]) => cli(['explain', token, ...flags, ...args])

/** Core's own answer for this token, in process: what the CLI must print. */
async function coreAnswer(token: string, requirement?: Requirement): Promise<AuthError> {
  const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE })
  const error = await verifier.verify(token, requirement).then(
    () => undefined,
    (rejection: unknown) => rejection,
  )
  if (!(error instanceof AuthError)) throw new Error('expected core to refuse the token')
  return error
}

describe('m2m-guard explain', () => {
  it('passes every check of a good token, in order, and exits 0', async () => {
    const token = await server.mint({ client_id: 'billing', scope: 'orders:read orders:write' })
    const { code, stdout, stderr } = await explain(token, '--scope', 'orders:read', '--client', 'billing')
    expect(stderr).toBe('')
    const lines = stdout.split('\n').filter((text) => /^[✓✗–] /.test(text))
    expect(lines.map((text) => text.split(/\s+/)[1])).toEqual([
      'shape',
      'header',
      'alg',
      'key',
      'signature',
      'iss',
      'aud',
      'exp',
      'nbf',
      'iat',
      'typ',
      'scopes',
      'client',
    ])
    expect(lines.every((text) => text.startsWith('✓'))).toBe(true)
    expect(line(stdout, '✓', 'key')).toContain(
      `kid ${server.keys.current.kid}; key set ${server.jwksUri} (1 key,`,
    )
    expect(line(stdout, '✓', 'exp')).toMatch(/expires in (4 min 5\d s|5 min) \(tolerance 5 s\)/)
    expect(line(stdout, '✓', 'scopes')).toContain('granted orders:read orders:write; required orders:read')
    expect(stdout).toContain('verdict  ✓ accepted: client billing, scopes orders:read orders:write')
    expect(code).toBe(0)
  })

  it('names the expired check, the exact 401 and the fix, and exits 1', async () => {
    const token = await server.mint({}, { expiresIn: -120 })
    const { code, stdout } = await explain(token)
    expect(line(stdout, '✗', 'exp')).toMatch(/expired 2 min( \d s)? ago \(tolerance 5 s\)/)
    expect(stdout).toContain('fix: get a new token: clients should renew shortly before exp')
    expect(stdout).toContain('verdict  ✗ refused: 401 invalid_token, reason token_expired')
    expectHttpAnswer(stdout, await coreAnswer(token))
    expect(stdout).toContain('a 401 tells the client to get a new token')
    expect(code).toBe(1)
  })

  it('answers a missing scope with 403 insufficient_scope and the scope to grant', async () => {
    const token = await server.mint({ scope: 'orders:read' })
    const { code, stdout } = await explain(token, '--scope', 'orders:write')
    expect(line(stdout, '✗', 'scopes')).toContain(
      'granted orders:read; required orders:write; missing orders:write',
    )
    expect(stdout).toContain('fix: grant the client orders:write at the issuer')
    expectHttpAnswer(stdout, await coreAnswer(token, { scopes: ['orders:write'] }))
    expect(stdout).toContain('HTTP     403 Forbidden')
    expect(code).toBe(1)
  })

  it('refuses a client outside the allowlist', async () => {
    const token = await server.mint({ client_id: 'reports' })
    const { code, stdout } = await explain(token, '--client', 'billing')
    expect(line(stdout, '✗', 'client')).toContain('reports (from client_id); allowed billing')
    expectHttpAnswer(stdout, await coreAnswer(token, { clients: ['billing'] }))
    expect(code).toBe(1)
  })

  it('points at a trailing slash in the token issuer', async () => {
    const token = await server.mint({ iss: `${server.issuer}/` })
    const { code, stdout } = await cli(['explain', token, '--issuer', server.issuer, '--audience', AUDIENCE])
    expect(line(stdout, '✗', 'iss')).toContain(`"${server.issuer}/", configured "${server.issuer}"`)
    expect(stdout).toContain(`fix: configure the issuer exactly as the token writes it, "${server.issuer}/"`)
    expect(code).toBe(1)
  })

  it("blames the issuer's clock for a token from a server whose clock is 10 min ahead", async () => {
    const ahead = await createAuthServer({ audience: AUDIENCE, clock: () => Date.now() + 10 * 60_000 })
    try {
      const token = await ahead.mint()
      const { code, stdout } = await cli(['explain', token, '--issuer', ahead.issuer, '--audience', AUDIENCE])
      // The server's Date header follows its clock, so explain measures the skew too.
      expect(line(stdout, '✗', 'iat')).toMatch(
        /issued in (9 min 5\d s|10 min): in the future \(tolerance 5 s; issuer's clock \+(9 min 59 s|10 min|10 min 1 s)\)/,
      )
      expect(stdout).toContain("fix: iat lies in the future: the issuer's clock is ahead")
      expect(stdout).toContain('reason token_issued_in_future')
      expect(code).toBe(1)
    } finally {
      await ahead.close()
    }
  })

  it("measures the issuer's clock from its Date header and says so at the failing time check", async () => {
    const now = Date.now
    const ahead = await createAuthServer({ audience: AUDIENCE, clock: () => now() + 10 * 60_000 })
    try {
      // The server's clock option moves its tokens and its responses' Date alike.
      const token = await ahead.mint()
      const { stdout } = await cli([
        'explain',
        token,
        '--issuer',
        ahead.issuer,
        '--audience',
        AUDIENCE,
        '--json',
      ])
      const report = JSON.parse(stdout)
      expect(report.issuerClockSkew).toBeGreaterThanOrEqual(599)
      expect(report.issuerClockSkew).toBeLessThanOrEqual(601)
      const iat = report.checks.find((check: { id: string }) => check.id === 'iat')
      expect(iat.status).toBe('fail')
      expect(iat.detail).toMatch(/; issuer's clock \+(9 min 59 s|10 min|10 min 1 s)\)$/)
      expect(report.fix).toMatch(/its Date header says \+(9 min 59 s|10 min|10 min 1 s)/)
    } finally {
      await ahead.close()
    }
  })

  it('shows the key set failing as a 503 with Retry-After, not a 401', async () => {
    server.setFault('jwks', 'down')
    const token = await server.mint()
    const { code, stdout } = await explain(token)
    expect(line(stdout, '✗', 'key')).toContain(`${server.jwksUri} answered HTTP 503`)
    expect(line(stdout, '–', 'signature')).toBe('– signature not reached; RS256 with the key above')
    expect(stdout).toMatch(/HTTP {5}503 Service Unavailable\n {9}Retry-After: \d+\n/)
    expect(stdout).toContain("a 503: not the client's fault")
    expect(code).toBe(1)
  })

  it('tells a forged signature from an unknown key', async () => {
    const forged = await server.mint({}, { key: 'foreign', kid: server.keys.current.kid })
    const forgedRun = await explain(forged)
    expect(line(forgedRun.stdout, '✗', 'signature')).toContain('invalid signature')
    expect(forgedRun.code).toBe(1)
    const unknown = await server.mint({}, { kid: 'retired-key' })
    const unknownRun = await explain(unknown)
    expect(line(unknownRun.stdout, '✗', 'key')).toContain('kid retired-key')
    expect(unknownRun.stdout).toContain("fix: no key with kid retired-key in the issuer's key set")
    expect(unknownRun.code).toBe(1)
  })

  it('refuses HS256 and unsigned tokens before any key fetch', async () => {
    server.resetCounters()
    const hmac = await explain(await server.mintHmacWithPublicKey())
    expect(line(hmac.stdout, '✗', 'alg')).toContain('HS256 is not accepted')
    const unsigned = await explain(await server.mintUnsigned())
    expect(line(unsigned.stdout, '✗', 'shape')).toContain('no signature')
    expect(unsigned.stdout).toContain('fix: unsigned tokens (alg "none") are never accepted')
    expect(server.requests).toEqual({ jwks: 0, metadata: 0, token: 0 })
    expect([hmac.code, unsigned.code]).toEqual([1, 1])
  })

  it('places a header core refuses (an unknown crit) at the header check', async () => {
    const token = await server.mint({}, { header: { crit: ['exp'], exp: 1 } })
    const { code, stdout } = await explain(token)
    expect(line(stdout, '✗', 'header')).toContain('malformed token; alg RS256')
    expect(stdout).toContain('fix: the issuer sends a header core does not accept (an unknown "crit"')
    expect(line(stdout, '–', 'key')).toBeDefined()
    expectHttpAnswer(stdout, await coreAnswer(token))
    expect(code).toBe(1)
  })

  it('says what is wrong with something that is not a JWT, without a stack trace', async () => {
    const { code, stdout, stderr } = await explain('not-a-token')
    expect(line(stdout, '✗', 'shape')).toContain('a JWT has 3 parts separated by dots, this has 1')
    expect(stdout).toContain('reason token_malformed')
    expect(stderr).toBe('')
    expect(code).toBe(1)
  })

  it('refuses an oversized token before anything else, as core does', async () => {
    const token = await server.mint({ padding: 'x'.repeat(20_000) })
    const { code, stdout } = await cli(['explain', '-', ...flags], { stdin: token })
    expect(line(stdout, '✗', 'shape')).toBe('✗ shape token larger than 16384 characters')
    const rest = stdout
      .split('\n')
      .filter((text) => /^[✓✗–] /.test(text))
      .slice(1)
    expect(rest.every((text) => text.startsWith('– '))).toBe(true)
    expect(stdout).toContain('reason token_too_large')
    expect(code).toBe(1)
  })

  it('reads the token from stdin with -, dropping a Bearer prefix', async () => {
    const token = await server.mint()
    const { code, stdout } = await cli(['explain', '-', ...flags], { stdin: `Bearer ${token}\n` })
    expect(stdout).toContain('verdict  ✓ accepted')
    expect(code).toBe(0)
  })

  it('never prints the signature, and fetches only the metadata and the keys', async () => {
    const token = await server.mint({ scope: 'orders:read' })
    const signature = token.split('.')[2] as string
    server.resetCounters()
    const text = await explain(token, '--scope', 'orders:write')
    const json = await explain(token, '--scope', 'orders:write', '--json')
    for (const output of [text.stdout, json.stdout]) expect(output).not.toContain(signature)
    // Only metadata and keys were fetched; the token endpoint never saw a request.
    expect(server.requests.token).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report.fetched.map((contact: { url: string }) => contact.url)).toEqual([
      server.metadataUrl,
      server.jwksUri,
    ])
  })

  it('--json carries the checks, the verdict and the HTTP answer', async () => {
    const token = await server.mint({ scope: 'orders:read' })
    const { code, stdout } = await explain(token, '--scope', 'orders:write', '--json')
    const report = JSON.parse(stdout)
    const error = await coreAnswer(token, { scopes: ['orders:write'] })
    expect(report.ok).toBe(false)
    expect(report.verdict).toEqual({
      accepted: false,
      status: 403,
      code: 'insufficient_scope',
      reason: 'insufficient_scope',
      description: error.description,
    })
    expect(report.http).toEqual({ status: 403, headers: { ...error.headers }, body: { ...error.body } })
    expect(report.checks.find((check: { id: string }) => check.id === 'scopes')).toMatchObject({
      status: 'fail',
    })
    expect(report.fix).toContain('grant the client orders:write')
    expect(code).toBe(1)
  })
})

describe('m2m-guard explain --config', () => {
  // Inside the package, so that a .js config resolves @m2m-guard/core as a user's project would.
  const here = fileURLToPath(new URL('.', import.meta.url))
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(here, '.config-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('takes the verifier options from a JSON file', async () => {
    const file = join(dir, 'm2m.config.json')
    await writeFile(file, JSON.stringify({ issuer: server.issuer, audience: AUDIENCE, requireTyp: true }))
    const token = await server.mint({}, { typ: 'JWT' })
    const { code, stdout } = await cli(['explain', token, '--config', file])
    expect(line(stdout, '✗', 'typ')).toContain('"JWT", required at+jwt (requireTyp)')
    expect(code).toBe(1)
  })

  it('takes them from a JS module that imports core', async () => {
    const file = join(dir, 'm2m.config.js')
    await writeFile(
      file,
      `import { ASYMMETRIC_ALGORITHMS } from '@m2m-guard/core'\n` +
        `export default async () => ({ issuer: ${JSON.stringify(server.issuer)}, audience: ${JSON.stringify(AUDIENCE)}, algorithms: ASYMMETRIC_ALGORITHMS.filter((alg) => alg.startsWith('ES')) })\n`,
    )
    const { code, stdout } = await cli(['explain', await server.mint(), '--config', file])
    expect(line(stdout, '✗', 'alg')).toContain('RS256 is not accepted (ES256, ES384, ES512)')
    expect(code).toBe(1)
  })

  it('names an unknown option, a file that does not parse, and one that does not exist: exit 2', async () => {
    const unknown = join(dir, 'unknown.json')
    await writeFile(unknown, JSON.stringify({ issuer: server.issuer, audiences: AUDIENCE }))
    const broken = join(dir, 'broken.json')
    await writeFile(broken, '{ "issuer": ')
    const brokenJs = join(dir, 'broken.js')
    await writeFile(brokenJs, 'export default {{')
    const token = await server.mint()
    const runs = await Promise.all(
      [unknown, broken, brokenJs, join(dir, 'missing.json')].map((file) =>
        cli(['explain', token, '--config', file]),
      ),
    )
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2, 2])
    expect(runs[0]?.stderr).toContain(`m2m-guard: config file ${unknown}: unknown option "audiences"`)
    expect(runs[1]?.stderr).toContain(`config file ${broken} is not valid JSON`)
    expect(runs[2]?.stderr).toContain(`config file ${brokenJs} failed to load`)
    expect(runs[3]?.stderr).toContain('cannot be read: no such file')
    for (const run of runs) {
      expect(run.stdout).toBe('')
      expect(run.stderr).not.toMatch(/\n\s+at /)
    }
  })

  it('refuses --config together with --issuer', async () => {
    const { code, stderr } = await cli(['explain', 'x.y.z', '--config', 'a.json', '--issuer', server.issuer])
    expect(stderr).toContain('--config holds the verifier options; put --issuer in it instead')
    expect(code).toBe(2)
  })
})
