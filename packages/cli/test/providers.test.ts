import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, killAll, line } from './run-cli.js'

// The testing server imitating identity providers: their paths, issuers and claims.
let auth0: AuthServer
let cognito: AuthServer

beforeAll(async () => {
  ;[auth0, cognito] = await Promise.all([
    createAuthServer({ flavor: 'auth0', audience: 'https://orders.example' }),
    createAuthServer({ flavor: 'cognito' }),
  ])
})
afterEach(() => killAll())
afterAll(() => Promise.all([auth0.close(), cognito.close()]))

describe('m2m-guard against provider-shaped issuers', () => {
  it("doctor finds Auth0's OpenID-only metadata and its issuer with the trailing slash", async () => {
    expect(auth0.issuer.endsWith('/')).toBe(true)
    const { code, stdout } = await cli([
      'doctor',
      '--issuer',
      auth0.issuer,
      '--audience',
      'https://orders.example',
    ])
    const origin = new URL(auth0.issuer).origin
    expect(line(stdout, '✓', 'discovery')).toContain(
      `OpenID metadata at ${origin}/.well-known/openid-configuration (`,
    )
    expect(line(stdout, '✓', 'discovery')).toContain('RFC 8414: HTTP 404')
    expect(line(stdout, '✓', 'issuer equality')).toContain(`metadata names exactly "${auth0.issuer}"`)
    expect(code).toBe(0)
  })

  it('doctor catches the Auth0 issuer configured without its slash', async () => {
    const bare = auth0.issuer.slice(0, -1)
    const { code, stdout } = await cli(['doctor', '--issuer', bare, '--audience', 'https://orders.example'])
    expect(stdout).toContain(
      `fix: configure the issuer exactly as the server writes it: --issuer ${auth0.issuer} `,
    )
    expect(code).toBe(1)
  })

  it('explain says when the scopes sit in a claim the verifier does not read (Auth0 permissions)', async () => {
    const token = await auth0.mint({ azp: 'billing', scope: '', permissions: ['orders:read'] })
    const { code, stdout } = await cli([
      'explain',
      token,
      '--issuer',
      auth0.issuer,
      '--audience',
      'https://orders.example',
      '--scope',
      'orders:read',
    ])
    expect(line(stdout, '✗', 'scopes')).toContain('none granted; required orders:read')
    expect(stdout).toContain(
      "fix: the scopes are in the 'permissions' claim, which is not read: add it to scopeClaims",
    )
    expect(code).toBe(1)
  })

  it('explain names the missing aud of a Cognito access token and the way out', async () => {
    const token = await cognito.mint()
    const { code, stdout } = await cli([
      'explain',
      token,
      '--issuer',
      cognito.issuer,
      '--audience',
      'billing',
    ])
    expect(line(stdout, '✗', 'aud')).toContain('missing, configured "billing"')
    expect(stdout).toContain('needs audience: null in a profile, with clients or requiredClaims standing in')
    expect(stdout).toContain('reason missing_claim')
    expect(code).toBe(1)
  })
})
