import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, killAll, line } from './run-cli.js'

// core's presets in a .js config, pointed at provider-shaped local servers as the testing README shows.
const ORDERS = 'https://orders.example'
const TENANT = '8eaef023-2b34-4da1-9baa-8bc8c9d6a490'
const API = '6e74172b-be56-4843-9ff4-e66a39bb12e3'
let auth0: AuthServer
let entra: AuthServer
let dir: string
let config: string

beforeAll(async () => {
  ;[auth0, entra] = await Promise.all([
    createAuthServer({ flavor: 'auth0', audience: ORDERS }),
    createAuthServer({ flavor: 'entra', tenant: TENANT, audience: API }),
  ])
  // Inside the package, so that the module resolves @m2m-guard/core as a user's project would.
  dir = await mkdtemp(join(fileURLToPath(new URL('.', import.meta.url)), '.config-presets-'))
  config = join(dir, 'm2m.config.js')
  await writeFile(
    config,
    `import { auth0, entra } from '@m2m-guard/core'
export default {
  issuers: [
    { ...auth0({ domain: 'acme.eu.auth0.com', audience: ${JSON.stringify(ORDERS)} }), issuer: ${JSON.stringify(auth0.issuer)}, jwksUri: ${JSON.stringify(auth0.jwksUri)} },
    { ...entra({ tenantId: ${JSON.stringify(TENANT)}, audience: ${JSON.stringify(API)} }), issuer: ${JSON.stringify(entra.issuer)}, jwksUri: ${JSON.stringify(entra.jwksUri)} },
  ],
}
`,
  )
})
afterEach(() => killAll())
afterAll(async () => {
  await Promise.all([auth0.close(), entra.close(), rm(dir, { recursive: true, force: true })])
})

describe("m2m-guard with core's presets in a .js config", () => {
  it("explain reads Auth0's permissions claim through the auth0() preset", async () => {
    const token = await auth0.mint({ azp: 'billing', permissions: ['orders:read'] })
    const { code, stdout } = await cli(['explain', token, '--config', config, '--scope', 'orders:read'])
    expect(line(stdout, '✓', 'iss')).toContain('(profile 1)')
    expect(line(stdout, '✓', 'scopes')).toContain('orders:read')
    expect(line(stdout, '✓', 'client')).toContain('billing (from azp)')
    expect(stdout).toContain('verdict  ✓ accepted: client billing')
    expect(code).toBe(0)
  })

  it("explain passes on the entra() preset's words for a Microsoft Graph token", async () => {
    const token = await entra.mint(
      { aud: '00000003-0000-0000-c000-000000000000' },
      { header: { nonce: 'graph' } },
    )
    const { code, stdout } = await cli(['explain', token, '--config', config])
    expect(line(stdout, '✗', 'aud')).toContain('token is meant for Microsoft Graph (it has a nonce header)')
    expect(stdout).toContain('fix: token is meant for Microsoft Graph (it has a nonce header), not this API')
    expect(stdout).toContain('reason audience_mismatch')
    // Refused on its header, before any key was looked up: key and signature were not checked.
    expect(stdout).toContain('the token was sent nowhere (fetched nothing)')
    expect(line(stdout, '–', 'key')).toContain('not reached')
    expect(line(stdout, '–', 'signature')).toContain('not reached')
    expect(code).toBe(1)
  })

  it('doctor --config checks both preset profiles', async () => {
    const { code, stdout } = await cli(['doctor', '--config', config])
    const sections = stdout.split('\n\n')
    expect(sections.map((section) => section.split('\n')[0])).toEqual([
      `profile 1: ${auth0.issuer}`,
      `profile 2: ${entra.issuer}`,
    ])
    for (const section of sections) expect(line(section, '✓', 'verifier')).toContain('fetched 1 usable key')
    expect(code).toBe(0)
  })

  it("a preset's refusal of its arguments is a usage error naming it", async () => {
    const wrong = join(dir, 'wrong.mjs')
    await writeFile(
      wrong,
      `import { entra } from '@m2m-guard/core'\nexport default { issuers: [entra({ tenantId: 'contoso.com', audience: 'x' })] }\n`,
    )
    const { code, stderr } = await cli(['explain', 'a.b.c', '--config', wrong])
    expect(stderr).toContain(
      `config file ${wrong} failed to load: entra() argument "tenantId" must be the tenant id`,
    )
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(code).toBe(2)
  })
})
