/**
 * Issuer profiles with local key sets: choosing a profile by `iss`, each
 * profile's own rules (audience or its stand-ins, scope and client claims,
 * required claims, client allowlist, algorithms), `{tenantid}` issuers, the
 * JWKS key `issuer` member, `Requirement.issuers`, and what events and
 * keyStatus() say per issuer. Real keys and tokens; the fetch counts every
 * request, so "no fetch" is measured, not assumed.
 */
import type { JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthErrorReason,
  createVerifier,
  type IssuerProfile,
  type Verifier,
  type VerifierEvent,
  type VerifierOptions,
} from '../../src/index.js'
import { createSigner, type Signer } from '../helpers/local-keys.js'
import { refusal } from '../helpers/refusal.js'

const NOW = 1_900_000_000
const A = 'https://a.example.com/'
const B = 'https://login.b.example.com/tenant-b'
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const OTHER_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a'
const ENTRA = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const entraIssuer = (tenant: string) => `https://login.microsoftonline.com/${tenant}/v2.0`

let a: Signer
let b: Signer
let c: Signer

beforeAll(async () => {
  ;[a, b, c] = await Promise.all([
    createSigner('RS256', 'a-1'),
    createSigner('ES256', 'b-1'),
    createSigner('PS256', 'c-1'),
  ])
})

/** The signer's public JWK with an Entra-style `issuer` member. */
const keyOf = (signer: Signer, issuer: string): JWK => ({ ...signer.publicJwk, issuer }) as JWK

const claims = (overrides: Record<string, unknown> = {}) => ({
  iat: NOW,
  exp: NOW + 300,
  ...overrides,
})

function profileA(overrides: Partial<IssuerProfile> = {}): IssuerProfile {
  return { issuer: A, audience: 'https://orders.example.com', jwks: { keys: [a.publicJwk] }, ...overrides }
}

function profileB(overrides: Partial<IssuerProfile> = {}): IssuerProfile {
  return {
    issuer: B,
    audience: 'api://orders',
    jwks: { keys: [b.publicJwk] },
    clientIdClaims: ['azp'],
    scopeClaims: ['roles'],
    ...overrides,
  }
}

function verifierFor(
  issuers: IssuerProfile[],
  extra: Partial<VerifierOptions> = {},
  events: VerifierEvent[] = [],
) {
  return createVerifier({
    issuers,
    clock: () => NOW * 1000,
    onEvent: (event) => events.push(event),
    ...extra,
  } as VerifierOptions)
}

async function expectRefused(verifier: Verifier, token: string, status: number, reason: AuthErrorReason) {
  const error = await refusal(verifier.verify(token))
  expect({ status: error.status, reason: error.reason }).toEqual({ status, reason })
  return error
}

describe('choosing the profile by iss', () => {
  it('each issuer’s token passes with its own audience, client claim and scope claim', async () => {
    const verifier = verifierFor([profileA(), profileB()])
    const fromA = await verifier.verify(
      await a.sign(
        claims({ iss: A, aud: 'https://orders.example.com', client_id: 'billing', scope: 'orders:read' }),
      ),
    )
    expect(fromA).toMatchObject({ issuer: A, clientId: 'billing', scopes: ['orders:read'] })
    const fromB = await verifier.verify(
      await b.sign(
        claims({ iss: B, aud: 'api://orders', azp: 'partner', roles: ['Orders.Read', 'Orders.Write'] }),
      ),
    )
    expect(fromB).toMatchObject({ issuer: B, clientId: 'partner', scopes: ['Orders.Read', 'Orders.Write'] })
  })

  it('a token of issuer A signed with B’s key is refused, and so is A’s audience on B', async () => {
    const verifier = verifierFor([profileA(), profileB({ jwks: { keys: [b.publicJwk, c.publicJwk] } })])
    // B's key under A's name: A's key set has no such key.
    const forged = await b.sign(claims({ iss: A, aud: 'https://orders.example.com' }))
    expect((await refusal(verifier.verify(forged))).reason).toMatch(/unknown_key|algorithm_not_allowed/)
    // B's key under A's kid.
    const underAsKid = await b.sign(claims({ iss: A, aud: 'https://orders.example.com' }), { kid: a.kid })
    expect((await refusal(verifier.verify(underAsKid))).status).toBe(401)
    // B's own token, but with A's audience.
    await expectRefused(
      verifier,
      await b.sign(claims({ iss: B, aud: 'https://orders.example.com' })),
      401,
      'audience_mismatch',
    )
  })

  it('an unknown iss is 401 issuer_unknown before any fetch, however many arrive', async () => {
    let fetches = 0
    const verifier = verifierFor([profileA({ jwks: undefined, jwksUri: 'https://a.example.com/jwks' })], {
      fetch: async () => {
        fetches++
        return new Response('{}', { status: 500 })
      },
    })
    for (let i = 0; i < 200; i++) {
      const token = await a.sign(claims({ iss: `https://random-${i}.example/`, aud: 'x' }), {
        kid: `kid-${i}`,
      })
      await expectRefused(verifier, token, 401, 'issuer_unknown')
    }
    expect(fetches).toBe(0)
    await expectRefused(verifier, await a.sign(claims({ iss: undefined })), 401, 'missing_claim')
    await expectRefused(verifier, await a.sign(claims({ iss: 7 })), 401, 'invalid_claim')
    expect(fetches).toBe(0)
  })

  it('an iss that differs only by a trailing slash says so', async () => {
    const verifier = verifierFor([profileA()])
    const error = await expectRefused(
      verifier,
      await a.sign(claims({ iss: 'https://a.example.com' })),
      401,
      'issuer_unknown',
    )
    expect(error.description).toMatch(/only by a trailing slash/)
  })

  it('each profile accepts only its own algorithms', async () => {
    const verifier = verifierFor([
      profileA({ algorithms: ['ES256'], jwks: { keys: [a.publicJwk, b.publicJwk] } }),
    ])
    await expectRefused(
      verifier,
      await a.sign(claims({ iss: A, aud: 'https://orders.example.com' })),
      401,
      'algorithm_not_allowed',
    )
    const ok = await verifier.verify(await b.sign(claims({ iss: A, aud: 'https://orders.example.com' })))
    expect(ok.header.alg).toBe('ES256')
  })

  it('top-level fields are every profile’s defaults; a profile’s own win', async () => {
    const verifier = verifierFor(
      [profileA({ audience: undefined }), profileB({ audience: 'api://b', clientIdClaims: undefined })],
      {
        audience: 'https://orders.example.com',
        clientIdClaims: ['cid'],
      },
    )
    const fromA = await verifier.verify(
      await a.sign(claims({ iss: A, aud: 'https://orders.example.com', cid: 'okta-app' })),
    )
    expect(fromA.clientId).toBe('okta-app')
    const fromB = await verifier.verify(await b.sign(claims({ iss: B, aud: 'api://b', cid: 'other' })))
    expect(fromB.clientId).toBe('other')
    await expectRefused(
      verifier,
      await b.sign(claims({ iss: B, aud: 'https://orders.example.com' })),
      401,
      'audience_mismatch',
    )
  })
})

describe('a profile’s own claim rules', () => {
  it('scopeClaims: the union of every named claim, strings split on spaces, arrays taken as they are', async () => {
    const verifier = verifierFor([profileA({ scopeClaims: ['scope', 'permissions'] })])
    const auth = await verifier.verify(
      await a.sign(
        claims({ iss: A, aud: 'https://orders.example.com', scope: 'a b', permissions: ['b', 'c'] }),
      ),
    )
    expect(auth.scopes).toEqual(['a', 'b', 'c'])
  })

  it.each([
    ['a number', 5],
    ['an object', { read: true }],
    ['an array with a number', ['a', 1]],
    ['null', null],
  ])('scopeClaims: %s in any named claim is 401 invalid_claim naming it', async (_, value) => {
    const verifier = verifierFor([profileA({ scopeClaims: ['scope', 'permissions'] })])
    const token = await a.sign(
      claims({ iss: A, aud: 'https://orders.example.com', scope: 'a', permissions: value }),
    )
    const error = await expectRefused(verifier, token, 401, 'invalid_claim')
    expect(error.description).toMatch(/'permissions' claim/)
  })

  it('audience null with requiredClaims and clients: no aud needed; the stand-ins decide', async () => {
    const verifier = verifierFor([
      profileA({
        audience: null,
        clients: ['app-1'],
        requiredClaims: { token_use: 'access' },
        clientIdClaims: ['client_id'],
      }),
    ])
    const access = await verifier.verify(
      await a.sign(claims({ iss: A, token_use: 'access', client_id: 'app-1', scope: 's/r' })),
    )
    expect(access).toMatchObject({ clientId: 'app-1', scopes: ['s/r'] })
    // An ID token of the same pool: the same issuer, keys and client.
    const id = await expectRefused(
      verifier,
      await a.sign(claims({ iss: A, token_use: 'id', aud: 'app-1', client_id: 'app-1' })),
      401,
      'invalid_claim',
    )
    expect(id.description).toBe(`'token_use' claim must be "access"`)
    await expectRefused(verifier, await a.sign(claims({ iss: A, client_id: 'app-1' })), 401, 'missing_claim')
    // Another client of the pool: valid token, not for this API.
    const other = await expectRefused(
      verifier,
      await a.sign(claims({ iss: A, token_use: 'access', client_id: 'app-2' })),
      403,
      'client_not_allowed',
    )
    expect(other.code).toBe('insufficient_scope')
    // A wrongly typed aud is still refused, even when it is not checked.
    await expectRefused(
      verifier,
      await a.sign(claims({ iss: A, token_use: 'access', client_id: 'app-1', aud: 5 })),
      401,
      'invalid_claim',
    )
  })

  it('refuseHeaders: a token carrying the header is refused with the profile’s description', async () => {
    const verifier = verifierFor([
      profileA({ refuseHeaders: { nonce: 'token is for Microsoft Graph, not this API' } }),
    ])
    const token = await a.sign(claims({ iss: A, aud: 'https://orders.example.com' }), {
      nonce: 'abc',
    } as never)
    const error = await expectRefused(verifier, token, 401, 'audience_mismatch')
    expect(error.description).toBe('token is for Microsoft Graph, not this API')
  })
})

describe('{tenantid} issuers', () => {
  const entraProfile = (overrides: Partial<IssuerProfile> = {}): IssuerProfile => ({
    issuer: ENTRA,
    audience: 'api-guid',
    jwks: { keys: [keyOf(c, ENTRA)] },
    clientIdClaims: ['azp'],
    scopeClaims: ['roles'],
    ...overrides,
  })
  const entraClaims = (tenant: string, overrides: Record<string, unknown> = {}) =>
    claims({
      iss: entraIssuer(tenant),
      tid: tenant,
      aud: 'api-guid',
      azp: 'daemon',
      roles: ['Orders.Read'],
      ...overrides,
    })

  it('accepts any tenant’s token, and says which tenant issued it', async () => {
    const verifier = verifierFor([entraProfile()])
    for (const tenant of [TENANT, OTHER_TENANT]) {
      const auth = await verifier.verify(await c.sign(entraClaims(tenant)))
      expect(auth).toMatchObject({ issuer: entraIssuer(tenant), clientId: 'daemon', scopes: ['Orders.Read'] })
    }
  })

  it('with tenants: another tenant is issuer_unknown, before any fetch', async () => {
    let fetches = 0
    const verifier = verifierFor(
      [
        entraProfile({
          tenants: [TENANT],
          jwks: undefined,
          jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        }),
      ],
      {
        fetch: async () => {
          fetches++
          return new Response('{}', { status: 500 })
        },
      },
    )
    const error = await expectRefused(
      verifier,
      await c.sign(entraClaims(OTHER_TENANT)),
      401,
      'issuer_unknown',
    )
    expect(error.description).toMatch(/tenant is not accepted/)
    expect(fetches).toBe(0)
  })

  it('the placeholder takes only a GUID: no path, no host, no empty tenant', async () => {
    const verifier = verifierFor([entraProfile()])
    for (const iss of [
      'https://login.microsoftonline.com/evil.example/x/v2.0',
      'https://login.microsoftonline.com//v2.0',
      'https://login.microsoftonline.com/common/v2.0',
    ]) {
      await expectRefused(verifier, await c.sign(entraClaims(TENANT, { iss })), 401, 'issuer_unknown')
    }
  })

  it('tid must name the tenant of iss', async () => {
    const verifier = verifierFor([entraProfile()])
    await expectRefused(
      verifier,
      await c.sign(entraClaims(TENANT, { tid: OTHER_TENANT })),
      401,
      'issuer_mismatch',
    )
    await expectRefused(
      verifier,
      await c.sign(entraClaims(TENANT, { tid: undefined })),
      401,
      'issuer_mismatch',
    )
  })

  it('a key whose issuer member names one tenant verifies only that tenant’s tokens', async () => {
    const verifier = verifierFor([entraProfile({ jwks: { keys: [keyOf(c, entraIssuer(TENANT))] } })])
    expect((await verifier.verify(await c.sign(entraClaims(TENANT)))).issuer).toBe(entraIssuer(TENANT))
    const error = await expectRefused(
      verifier,
      await c.sign(entraClaims(OTHER_TENANT)),
      401,
      'issuer_mismatch',
    )
    expect(error.description).toBe('token was signed with a key of another issuer')
  })

  it('a key issuer member of another issuer is refused on an exact issuer too', async () => {
    const verifier = verifierFor([profileA({ jwks: { keys: [keyOf(a, 'https://elsewhere.example/')] } })])
    await expectRefused(
      verifier,
      await a.sign(claims({ iss: A, aud: 'https://orders.example.com' })),
      401,
      'issuer_mismatch',
    )
  })
})

describe('Requirement.issuers', () => {
  it('limits a route to some issuers: 403 issuer_not_allowed for the others', async () => {
    const verifier = verifierFor([profileA(), profileB()])
    const fromA = await a.sign(claims({ iss: A, aud: 'https://orders.example.com' }))
    const fromB = await b.sign(claims({ iss: B, aud: 'api://orders' }))
    expect((await verifier.verify(fromA, { issuers: [A] })).issuer).toBe(A)
    const error = await refusal(verifier.verify(fromB, { issuers: [A] }))
    expect(error).toMatchObject({ status: 403, code: 'insufficient_scope', reason: 'issuer_not_allowed' })
    expect(error.wwwAuthenticate).toMatch(/^Bearer error="insufficient_scope"/)
    // The cached token: the requirement is still checked on every request.
    await expect(verifier.verify(fromB, { issuers: [A] })).rejects.toMatchObject({
      reason: 'issuer_not_allowed',
    })
    expect((await verifier.verify(fromB, { issuers: [A, B] })).issuer).toBe(B)
  })

  it('a {tenantid} entry accepts every tenant of that issuer', async () => {
    const verifier = verifierFor([
      profileA(),
      { issuer: ENTRA, audience: 'api-guid', jwks: { keys: [c.publicJwk] } },
    ])
    const token = await c.sign(claims({ iss: entraIssuer(TENANT), tid: TENANT, aud: 'api-guid' }))
    expect((await verifier.verify(token, { issuers: [ENTRA] })).issuer).toBe(entraIssuer(TENANT))
    await expect(
      verifier.verify(await a.sign(claims({ iss: A, aud: 'https://orders.example.com' })), {
        issuers: [ENTRA],
      }),
    ).rejects.toMatchObject({
      reason: 'issuer_not_allowed',
    })
  })

  it('naming an issuer the verifier does not accept is a TypeError when the route is declared', () => {
    const verifier = verifierFor([profileA(), profileB()])
    expect(() => verifier.declare({ issuers: ['https://typo.example.com/'] })).toThrow(
      /"issuers" entry "https:\/\/typo.example.com\/" is not an issuer this verifier accepts/,
    )
    expect(() => verifier.declare({ issuers: [] })).toThrow(/"issuers" must not be empty/)
    expect(() => verifier.declare({ issuers: [A] })).not.toThrow()
  })
})

describe('per issuer: events, warmUp(), keyStatus()', () => {
  it('events name the issuer profile as configured, never the token’s values', async () => {
    const events: VerifierEvent[] = []
    const verifier = verifierFor(
      [{ issuer: ENTRA, audience: 'api-guid', jwks: { keys: [c.publicJwk] } }],
      {},
      events,
    )
    const token = await c.sign(claims({ iss: entraIssuer(TENANT), tid: TENANT, aud: 'api-guid' }))
    await verifier.verify(token)
    await verifier.verify(token)
    await refusal(
      verifier.verify(await c.sign(claims({ iss: entraIssuer(TENANT), tid: TENANT, aud: 'other' }))),
    )
    await refusal(verifier.verify(await c.sign(claims({ iss: 'https://unknown.example/', aud: 'x' }))))
    const withIssuer = events
      .filter((event) => 'issuer' in event)
      .map((event) => [event.type, (event as { issuer: string }).issuer])
    expect(withIssuer).toEqual([
      ['token_verified', ENTRA],
      ['token_cache_hit', ENTRA],
      ['token_rejected', ENTRA],
    ])
    expect(events.at(-1)).toMatchObject({ type: 'token_rejected', reason: 'issuer_unknown' })
    expect(events.at(-1)).not.toHaveProperty('issuer')
  })

  it('keyStatus() lists each issuer and names those not ready; warmUp() names those that failed', async () => {
    const verifier = verifierFor(
      [profileA(), profileB({ jwks: undefined, jwksUri: 'https://keys.b.example.com/jwks' })],
      {
        fetch: async () => new Response('down', { status: 503 }),
      },
    )
    const before = verifier.keyStatus()
    expect(before.ready).toBe(false)
    expect(before.notReady).toEqual([B])
    expect(before.issuers.map(({ issuer, ready }) => [issuer, ready])).toEqual([
      [A, true],
      [B, false],
    ])
    const error = await refusal(verifier.warmUp())
    expect(error).toMatchObject({ status: 503, reason: 'keys_unavailable' })
    expect(error.message).toContain(B)
    expect(error.message).not.toContain(A)
    expect(verifier.keyStatus().lastError).toMatch(new RegExp(`^${B}: `))
  })
})

describe('configuration errors name the profile and the field', () => {
  it.each<[string, () => unknown, RegExp]>([
    [
      'issuer and issuers',
      () => ({ issuer: A, audience: 'x', issuers: [profileA()] }),
      /"issuer" and "issuers" exclude each other/,
    ],
    ['empty issuers', () => ({ issuers: [] }), /"issuers" option must be a non-empty array/],
    [
      'a profile that is not an object',
      () => ({ issuers: [profileA(), 'https://b'] }),
      /issuers\[1\] must be an object/,
    ],
    [
      'unknown field',
      () => ({ issuers: [profileA({ audiences: 'x' } as never)] }),
      /issuers\[0\] \("https:\/\/a.example.com\/"\) has unknown field "audiences"/,
    ],
    [
      'no audience',
      () => ({ issuers: [profileA(), profileB({ audience: undefined })] }),
      /issuers\[1\] \("https:\/\/login.b.example.com\/tenant-b"\): "audience" is required/,
    ],
    [
      'audience null without stand-in',
      () => ({ issuers: [profileA({ audience: null })] }),
      /issuers\[0\] .*"audience" is null, which skips the "aud" check: allowed only with "clients" or "requiredClaims"/,
    ],
    [
      'bad algorithms',
      () => ({ issuers: [profileA({ algorithms: ['HS256'] as never })] }),
      /issuers\[0\] .*"algorithms" must not contain "HS256"/,
    ],
    [
      'bad clockTolerance',
      () => ({ issuers: [profileA(), profileB({ clockTolerance: -1 })] }),
      /issuers\[1\] .*"clockTolerance" must be a non-negative number/,
    ],
    [
      'bad scopeClaims',
      () => ({ issuers: [profileA({ scopeClaims: [] })] }),
      /issuers\[0\] .*"scopeClaims" must be a non-empty/,
    ],
    [
      'bad requiredClaims',
      () => ({ issuers: [profileA({ requiredClaims: { token_use: ['access'] } as never })] }),
      /issuers\[0\] .*"requiredClaims" entry "token_use" must be a string/,
    ],
    [
      'empty clients',
      () => ({ issuers: [profileA({ clients: [] })] }),
      /issuers\[0\] .*"clients" must be a non-empty/,
    ],
    [
      'jwksUri and jwks',
      () => ({ issuers: [profileA({ jwksUri: 'https://a/jwks' })] }),
      /issuers\[0\] .*"jwksUri" and .*"jwks" exclude each other/,
    ],
    [
      'jwks with no usable key',
      () => ({ issuers: [profileA({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })] }),
      /issuers\[0\] .*"jwks" has no usable signing key/,
    ],
    [
      'plain http jwksUri',
      () => ({ issuers: [profileA({ jwks: undefined, jwksUri: 'http://idp.internal/jwks' })] }),
      /issuers\[0\] .*"jwksUri" uses plain http/,
    ],
    [
      'template without keys',
      () => ({ issuers: [{ issuer: ENTRA, audience: 'x' }] }),
      /issuers\[0\] .*"issuer" with a \{tenantid\} placeholder cannot be discovered/,
    ],
    [
      'other placeholder',
      () => ({
        issuers: [{ issuer: 'https://x/{tenant}/v2.0', audience: 'x', jwks: { keys: [a.publicJwk] } }],
      }),
      /"issuer" "https:\/\/x\/\{tenant\}\/v2.0" has braces but no \{tenantid\}/,
    ],
    [
      'tenants without template',
      () => ({ issuers: [profileA({ tenants: [TENANT] })] }),
      /issuers\[0\] .*"tenants" applies only to an issuer with a \{tenantid\} placeholder/,
    ],
    [
      'tenant not a GUID',
      () => ({
        issuers: [{ issuer: ENTRA, audience: 'x', jwks: { keys: [a.publicJwk] }, tenants: ['contoso'] }],
      }),
      /"tenants" entry "contoso" is not a tenant id/,
    ],
    [
      'the same issuer twice',
      () => ({ issuers: [profileA(), profileB({ issuer: [B, A] })] }),
      /issuers\[1\] .*"issuer" "https:\/\/a.example.com\/" is also in issuers\[0\]/,
    ],
    [
      'refuseHeaders without description',
      () => ({ issuers: [profileA({ refuseHeaders: { nonce: '' } })] }),
      /issuers\[0\] .*"refuseHeaders" entry "nonce"/,
    ],
  ])('%s', (_, options, message) => {
    expect(() => createVerifier(options() as VerifierOptions)).toThrow(TypeError)
    expect(() => createVerifier(options() as VerifierOptions)).toThrow(message)
  })

  it('top-level audience null needs a stand-in too', () => {
    expect(() => createVerifier({ issuer: A, audience: null, jwks: { keys: [a.publicJwk] } })).toThrow(
      /"audience" option is null, which skips the "aud" check/,
    )
    expect(() =>
      createVerifier({ issuer: A, audience: null, clients: ['x'], jwks: { keys: [a.publicJwk] } }),
    ).not.toThrow()
  })
})
