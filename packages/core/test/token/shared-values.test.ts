import type { JWTPayload } from 'jose'
import { describe, expect, it } from 'vitest'
import type { ResolvedProfile } from '../../src/issuers/profile.js'
import { valueSharer } from '../../src/token/shared-values.js'

const ISSUER = 'https://issuer.example.com/'
const AUDIENCE = 'https://orders.example.com'

function profile(overrides: Partial<ResolvedProfile> = {}): ResolvedProfile {
  return {
    issuers: [ISSUER],
    audiences: ['https://other.example.com', AUDIENCE],
    scopeClaims: ['scope', 'scp'],
    clientIdClaims: ['client_id', 'azp'],
    ...overrides,
  } as ResolvedProfile
}

/** Shares `payload`'s values, and checks that it reads exactly as before. */
function shareUnchanged(share: ReturnType<typeof valueSharer>, payload: JWTPayload, of = profile()) {
  const before = structuredClone(payload)
  share(payload, of)
  expect(payload).toStrictEqual(before)
}

describe('valueSharer: one copy of the claim values tokens share, the payload reading the same', () => {
  it('keeps every claim as it was: the issuer, an audience, scopes, the client, and the rest', () => {
    const share = valueSharer()
    for (const client of ['billing', 'reports', 'billing']) {
      shareUnchanged(share, {
        iss: ISSUER,
        aud: AUDIENCE,
        scope: 'orders:read orders:write',
        scp: ['orders:read'],
        client_id: client,
        azp: client,
        sub: client,
        jti: `${client}-1`,
        exp: 1_900_000_000,
        nested: { iss: 'x' },
      })
    }
  })

  it('leaves alone what it does not share: other issuers and audiences, audience lists, other types', () => {
    const share = valueSharer()
    const audiences = [AUDIENCE, 'https://more.example.com']
    const listed = { iss: 'https://elsewhere.example.com/', aud: audiences, scope: 42, client_id: null }
    shareUnchanged(share, listed as unknown as JWTPayload)
    expect(listed.aud).toBe(audiences)
    shareUnchanged(share, { iss: ISSUER, aud: AUDIENCE }, profile({ audiences: null }))
    shareUnchanged(share, {})
  })

  it('stays right past its bound, and with values longer than it keeps', () => {
    const share = valueSharer()
    for (let index = 0; index < 600; index++) {
      shareUnchanged(share, { client_id: `client-${index}`, scope: `scope-${index % 300}` })
    }
    shareUnchanged(share, { client_id: 'c'.repeat(5_000), scope: `${'s'.repeat(300)} b` })
    shareUnchanged(share, { client_id: 'client-0', scope: 'scope-0' })
  })
})
