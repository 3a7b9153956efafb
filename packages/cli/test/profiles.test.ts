import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, killAll, line } from './run-cli.js'

// A verifier with two issuer profiles, as a service trusting two identity providers has.
const AUDIENCE = 'https://orders.example'
let orders: AuthServer
let cognito: AuthServer
let stranger: AuthServer
let dir: string
let config: string

beforeAll(async () => {
  ;[orders, cognito, stranger] = await Promise.all([
    createAuthServer({ audience: AUDIENCE }),
    createAuthServer({ flavor: 'cognito' }),
    createAuthServer({ audience: AUDIENCE }),
  ])
  // Inside the package, so that the module resolves @m2m-guard/core as a user's project would.
  dir = await mkdtemp(join(fileURLToPath(new URL('.', import.meta.url)), '.profiles-'))
  config = join(dir, 'm2m.config.mjs')
  await writeFile(
    config,
    `import { ASYMMETRIC_ALGORITHMS } from '@m2m-guard/core'
export default {
  algorithms: ASYMMETRIC_ALGORITHMS,
  issuers: [
    { issuer: ${JSON.stringify(orders.issuer)}, audience: ${JSON.stringify(AUDIENCE)} },
    {
      issuer: ${JSON.stringify(cognito.issuer)},
      audience: null,
      clients: ['billing'],
      requiredClaims: { token_use: 'access' },
    },
  ],
}
`,
  )
})
afterEach(() => killAll())
afterAll(async () => {
  await Promise.all([
    orders.close(),
    cognito.close(),
    stranger.close(),
    rm(dir, { recursive: true, force: true }),
  ])
})

describe('m2m-guard with issuer profiles (issuers: [...])', () => {
  it('explain picks the profile by iss and accepts what it allows', async () => {
    const token = await cognito.mint({ client_id: 'billing' })
    const { code, stdout } = await cli(['explain', token, '--config', config])
    expect(line(stdout, '✓', 'iss')).toContain(`"${cognito.issuer}" is the configured issuer (profile 2)`)
    expect(line(stdout, '✓', 'aud')).toContain('not checked: the profile sets audience: null')
    expect(line(stdout, '✓', 'client')).toContain('billing (from client_id); allowed billing')
    expect(stdout).toContain('verdict  ✓ accepted: client billing')
    expect(code).toBe(0)
  })

  it("explain names the profile's requiredClaims when a Cognito ID token comes instead", async () => {
    const token = await cognito.mint({ client_id: 'billing', token_use: 'id' })
    const { code, stdout } = await cli(['explain', token, '--config', config])
    expect(line(stdout, '✗', 'claim types')).toContain(
      'requiredClaims token_use = "access"; token_use is "id"',
    )
    expect(stdout).toContain('fix: the issuer profile requires token_use = "access", and this token has "id"')
    expect(code).toBe(1)
  })

  it('explain refuses an issuer no profile names before fetching anything', async () => {
    const token = await stranger.mint()
    const { code, stdout } = await cli(['explain', token, '--config', config, '--json'])
    const report = JSON.parse(stdout)
    expect(report.verdict).toMatchObject({ accepted: false, status: 401, reason: 'issuer_unknown' })
    expect(report.fetched).toEqual([])
    const rows = Object.fromEntries(
      report.checks.map((check: { id: string; status: string }) => [check.id, check.status]),
    )
    expect(rows).toMatchObject({ alg: 'pass', iss: 'fail', key: 'skip', signature: 'skip' })
    expect(stranger.requests.jwks + stranger.requests.metadata).toBe(0)
    expect(code).toBe(1)
  })

  it('doctor --config checks each profile under its number', async () => {
    const { code, stdout } = await cli(['doctor', '--config', config])
    const sections = stdout.split('\n\n')
    expect(sections.map((section) => section.split('\n')[0])).toEqual([
      `profile 1: ${orders.issuer}`,
      `profile 2: ${cognito.issuer}`,
    ])
    expect(line(sections[1] ?? '', '✓', 'discovery')).toContain('OpenID metadata at')
    expect(line(sections[1] ?? '', '✓', 'verifier')).toContain("core's verifier fetched 1 usable key")
    expect(code).toBe(0)
  })
})
