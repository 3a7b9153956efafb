/**
 * verifier.usage(): the least-privilege report after a known sequence of
 * requests; the maxClients bound (the client seen longest ago goes first);
 * forged and refused tokens add nothing; the option validated at start-up.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { AuthError, createVerifier, type VerifierOptions } from '../../src/index.js'
import { createDpopKey } from '../helpers/dpop.js'
import {
  AUDIENCE,
  createClock,
  generateTestKey,
  signToken,
  type TestKey,
  tokenClaims,
} from '../helpers/jwks-server.js'

const ISSUER = 'https://auth.example.com'
const T0 = 1_900_000_000_000
let key: TestKey
let intruder: TestKey

beforeAll(async () => {
  key = await generateTestKey('ES256')
  intruder = await generateTestKey('ES256', key.kid)
})

function verifierOf(usage: VerifierOptions['usage'], clock = createClock(T0)) {
  return createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] }, clock, usage })
}

function tokenFor(clientId: string, scope: string, signer = key): Promise<string> {
  return signToken(tokenClaims(ISSUER, T0, { client_id: clientId, sub: clientId, scope }), { key: signer })
}

async function refused(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthError) return error.reason
    throw error
  }
  throw new Error('accepted')
}

describe('usage()', () => {
  it('reports requests, granted, used and never-needed scopes per client after a known sequence', async () => {
    const clock = createClock(T0)
    const verifier = verifierOf(true, clock)
    const reporting = await tokenFor('reporting', 'orders:read orders:export')
    const billing = await tokenFor('billing', 'orders:read orders:write')
    const read = { scopes: ['orders:read'] }
    const writeOrAdmin = { anyScopes: ['orders:write', 'orders:admin'] }

    await verifier.authenticate(`Bearer ${reporting}`, read)
    clock.advance(1_000)
    await verifier.authenticate(`Bearer ${reporting}`, read) // the reused token, from the cache
    await verifier.verify(billing, writeOrAdmin)
    clock.advance(1_000)
    await verifier.authorize(`Bearer ${billing}`) // no requirement: counted, needs nothing
    expect(await refused(verifier.verify(reporting, writeOrAdmin))).toBe('insufficient_scope')

    expect(verifier.usage()).toEqual({
      enabled: true,
      maxClients: 1_000,
      clients: [
        {
          issuer: ISSUER,
          clientId: 'billing',
          requests: 2,
          grantedScopes: ['orders:read', 'orders:write'],
          usedScopes: ['orders:write'],
          unusedScopes: ['orders:read'],
          lastSeen: T0 + 2_000,
        },
        {
          issuer: ISSUER,
          clientId: 'reporting',
          requests: 2,
          grantedScopes: ['orders:export', 'orders:read'],
          usedScopes: ['orders:read'],
          unusedScopes: ['orders:export'],
          lastSeen: T0 + 1_000,
        },
      ],
    })
  })

  it('keeps at most maxClients, forgetting the client seen longest ago', async () => {
    const clock = createClock(T0)
    const verifier = verifierOf({ maxClients: 2 }, clock)
    const tokens = await Promise.all(['a', 'b', 'c'].map((id) => tokenFor(id, 'orders:read')))
    await verifier.verify(tokens[0] as string)
    await verifier.verify(tokens[1] as string)
    await verifier.verify(tokens[0] as string) // a is now the most recent
    await verifier.verify(tokens[2] as string) // forgets b
    expect(verifier.usage().clients.map((row) => [row.clientId, row.requests])).toEqual([
      ['a', 2],
      ['c', 1],
    ])
    await verifier.verify(tokens[1] as string) // b again, from scratch: forgets a
    const rows = verifier.usage().clients
    expect(rows.map((row) => [row.clientId, row.requests])).toEqual([
      ['b', 1],
      ['c', 1],
    ])
    expect(rows[0]?.grantedScopes).toEqual(['orders:read'])
  })

  it('counts every cache hit at its own time, with the scopes of each route it meets', async () => {
    const clock = createClock(T0)
    const verifier = verifierOf(true, clock)
    const token = await tokenFor('reporting', 'orders:read orders:export')
    const read = { scopes: ['orders:read'] }
    const readOrExport = { anyScopes: ['orders:export', 'orders:admin'] }
    for (let round = 0; round < 3; round++) {
      // Served from the verified-token cache after the first call; routes alternate.
      await verifier.authenticate(`Bearer ${token}`, read)
      clock.advance(1_000)
      await verifier.authenticate(`Bearer ${token}`, readOrExport)
      await verifier.authenticate(`Bearer ${token}`)
    }
    await expect(verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:admin'] })).rejects.toThrow()
    expect(verifier.usage().clients).toEqual([
      {
        issuer: ISSUER,
        clientId: 'reporting',
        requests: 9,
        grantedScopes: ['orders:export', 'orders:read'],
        usedScopes: ['orders:export', 'orders:read'],
        unusedScopes: [],
        lastSeen: T0 + 3_000,
      },
    ])
  })

  it('keeps recency exact on cache hits: the client seen longest ago is forgotten first', async () => {
    const verifier = verifierOf({ maxClients: 2 })
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((id) => tokenFor(id, 'orders:read')))).map(
      (token) => `Bearer ${token}`,
    )
    await verifier.authenticate(a)
    await verifier.authenticate(a) // a cache hit, which links the cache entry to a's row
    await verifier.authenticate(b)
    await verifier.authenticate(a) // a cache hit through that link: a is now the most recent
    await verifier.authenticate(c) // forgets b
    expect(verifier.usage().clients.map((row) => [row.clientId, row.requests])).toEqual([
      ['a', 3],
      ['c', 1],
    ])
  })

  it('a client forgotten and back through its cached token starts afresh, its scopes granted again', async () => {
    const verifier = verifierOf({ maxClients: 1 })
    const a = `Bearer ${await tokenFor('a', 'orders:read orders:write')}`
    const b = `Bearer ${await tokenFor('b', 'orders:read')}`
    await verifier.authenticate(a, { scopes: ['orders:write'] })
    await verifier.authenticate(a)
    await verifier.authenticate(b) // forgets a
    await verifier.authenticate(a, { scopes: ['orders:write'] }) // a's token, from the cache
    await verifier.authenticate(a)
    expect(verifier.usage()).toMatchObject({
      maxClients: 1,
      clients: [
        {
          clientId: 'a',
          requests: 2,
          grantedScopes: ['orders:read', 'orders:write'],
          usedScopes: ['orders:write'],
          unusedScopes: ['orders:read'],
        },
      ],
    })
  })

  it('counts DPoP requests (authenticateRequest) and a second guard on the same request', async () => {
    const clock = createClock(T0)
    const dpopKey = await createDpopKey()
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      clock,
      usage: true,
      dpop: { required: true },
    })
    const token = await signToken(
      tokenClaims(ISSUER, T0, { client_id: 'billing', scope: 'orders:read', cnf: { jkt: dpopKey.jkt } }),
      { key },
    )
    const url = 'https://orders.example.com/orders'
    for (let call = 0; call < 2; call++) {
      const proof = await dpopKey.proof({ method: 'GET', url, token, iat: T0 / 1000 })
      const request = { method: 'GET', url, headers: { authorization: `DPoP ${token}`, dpop: proof } }
      const auth = await verifier.authenticateRequest(request, { scopes: ['orders:read'] })
      await verifier.authorize(request, undefined, auth) // a second guard: counted, not re-verified
    }
    expect(verifier.usage().clients).toMatchObject([
      { clientId: 'billing', requests: 4, usedScopes: ['orders:read'], lastSeen: T0 },
    ])
  })

  it('adds nothing for forged, expired or malformed tokens', async () => {
    const verifier = verifierOf(true)
    const forged = await tokenFor('mallory', 'orders:admin', intruder)
    const expired = await signToken(
      tokenClaims(ISSUER, T0 - 7_200_000, { client_id: 'late', scope: 'orders:read' }),
      { key },
    )
    expect(await refused(verifier.verify(forged))).toBe('signature_invalid')
    expect(await refused(verifier.verify(expired))).toBe('token_expired')
    expect(await refused(verifier.authenticate('Bearer x.y.z'))).toBe('token_malformed')
    expect(verifier.usage().clients).toEqual([])
  })

  it('is off by default, and a bad option is a TypeError naming it', () => {
    expect(verifierOf(undefined).usage()).toEqual({ enabled: false, maxClients: 0, clients: [] })
    expect(() => verifierOf({ maxClients: 0 })).toThrow(
      '"usage.maxClients" option must be a positive integer',
    )
    expect(() => verifierOf({ max: 3 } as never)).toThrow('"usage" option has unknown field "max"')
    expect(() => verifierOf('yes' as never)).toThrow('"usage" option must be true, false or { maxClients }')
  })
})
