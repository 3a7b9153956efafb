import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, killAll } from './run-cli.js'

let server: AuthServer

beforeAll(async () => {
  server = await createAuthServer({ audience: 'https://orders.example', tokenLifetime: 240 })
})
afterEach(() => killAll())
afterAll(() => server.close())

describe('m2m-guard decode', () => {
  it('shows header and claims, times as dates and relative, and says it did not verify', async () => {
    const token = await server.mint({ client_id: 'billing', scope: 'orders:read' }, { notBefore: 120 })
    const { code, stdout, stderr } = await cli(['decode', token])
    expect(stderr).toBe('')
    expect(stdout.split('\n')[0]).toBe(
      '! Not verified: this only reads the token, and anyone can write these claims. `m2m-guard explain` verifies it.',
    )
    expect(stdout).toContain(`  kid  ${server.keys.current.kid}\n`)
    expect(stdout).toContain('  client_id  billing\n')
    expect(stdout).toMatch(/ {2}exp {8}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(expires in (3 min 5\d s|4 min)\)\n/)
    expect(stdout).toMatch(/ {2}nbf {8}\S+ \(not valid until in (1 min 5\d s|2 min)\)\n/)
    expect(stdout).toMatch(/ {2}iat {8}\S+ \(issued (now|\d s ago)\)\n/)
    expect(stdout).toContain('signature  256 bytes (not shown)')
    expect(stdout).not.toContain(token.split('.')[2])
    expect(code).toBe(0)
  })

  it('writes expired tokens as expired, and exits 0 (decode judges nothing)', async () => {
    const { code, stdout } = await cli(['decode', await server.mint({}, { expiresIn: -3600 })])
    expect(stdout).toMatch(/\(expired 1 h( \d+ s)? ago\)/)
    expect(code).toBe(0)
  })

  it('neutralises terminal escapes and bidi controls in claims', async () => {
    const token = await server.mint({ sub: 'evil\u001b[2J\u001b]0;owned\u0007', note: 'abc\u202edcba' })
    const { stdout } = await cli(['decode', token])
    for (const control of ['\u001b', '\u0007', '\u202e']) expect(stdout).not.toContain(control)
    expect(stdout).toContain('evil\\u{1b}[2J\\u{1b}]0;owned\\u{7}')
    expect(stdout).toContain('abc\\u{202e}dcba')
  })

  it('escapes C1, bidi and invisible characters in --json too, keeping the same JSON value', async () => {
    const sneaky = 'a\u009b2Jb\u009d0;x\u202ec\u200bd\ufeffe'
    const token = await server.mint({ sub: sneaky, iss_hint: 'https://idp.example\u200b' })
    const json = await cli(['decode', token, '--json'])
    for (const char of ['\u009b', '\u009d', '\u202e', '\u200b', '\ufeff'])
      expect(json.stdout).not.toContain(char)
    expect(JSON.parse(json.stdout).payload.sub).toBe(sneaky)
    const text = await cli(['decode', token])
    for (const char of ['\u009b', '\u200b', '\ufeff']) expect(text.stdout).not.toContain(char)
    expect(text.stdout).toContain('https://idp.example\\u{200b}')
  })

  it('pads claim names to at most 32 characters, however long a hostile one is', async () => {
    const claims = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`c${i}`, i]))
    const token = await server.mint({ ...claims, ['n'.repeat(20_000)]: 1 })
    const { stdout, code } = await cli(['decode', token])
    expect(code).toBe(0)
    const line = stdout.split('\n').find((candidate) => candidate.startsWith('  c7 '))
    expect(line).toBe(`  c7${' '.repeat(30)}  7`)
    expect(stdout.length).toBeLessThan(60_000)
  })

  it('shows claims nested thousands deep without overflowing, in text and JSON', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`
    const segment = (json: string) => Buffer.from(json).toString('base64url')
    const token = `${segment('{"alg":"RS256"}')}.${segment(`{"sub":"x","n":${deep}}`)}.c2ln`
    const text = await cli(['decode', '-'], { stdin: token })
    expect(text.stdout).toContain('[nested deeper than 16 levels, not shown]')
    const json = await cli(['decode', '-', '--json'], { stdin: token })
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('[nested deeper than 16 levels, not shown]')
    for (const run of [text, json]) {
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
    }
  })

  it('--json gives header, payload and times, marked unverified, without the signature', async () => {
    const token = await server.mint({ scope: 'orders:read' })
    const { code, stdout } = await cli(['decode', token, '--json'])
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({ ok: true, verified: false, header: { alg: 'RS256', typ: 'at+jwt' } })
    expect(report.payload.scope).toBe('orders:read')
    expect(report.times.map((time: { claim: string }) => time.claim)).toEqual(['iat', 'exp'])
    expect(stdout).not.toContain(token.split('.')[2])
    expect(code).toBe(0)
  })

  it('reads - from stdin', async () => {
    const token = await server.mint({ client_id: 'from-stdin' })
    const { code, stdout } = await cli(['decode', '-'], { stdin: `${token}\n` })
    expect(stdout).toContain('client_id  from-stdin')
    expect(code).toBe(0)
  })

  it('says why a value is not a JWT, and exits 1', async () => {
    const cases: [string, string][] = [
      ['opaque-reference-token', 'a JWT has 3 parts separated by dots, this has 1 (an opaque token?'],
      ['a.b.c.d.e', 'it has 5 parts: an encrypted JWT (JWE), not a signed one'],
      ['a+b.c.d', 'its header is not base64url'],
      [`${Buffer.from('not json').toString('base64url')}.e30.c2ln`, 'its header is not a JSON object'],
    ]
    for (const [input, message] of cases) {
      const { code, stdout, stderr } = await cli(['decode', input])
      expect(stdout.startsWith(`✗ not a signed JWT: ${message}`)).toBe(true)
      expect(stderr).toBe('')
      expect(code).toBe(1)
    }
  })
})
