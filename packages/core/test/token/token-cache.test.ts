/**
 * The verified-token cache, through the public verifier: a reused token costs
 * one signature check; entries end exactly when verification would fail
 * (`exp`, `maxTokenAge`, with the clock tolerance); requirements are checked on
 * every hit; the cache is bounded; cached results are frozen. Time moves by an
 * injected clock. (Entries ending with their key: remote-key-set.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  type AuthResult,
  createVerifier,
  type Verifier,
  type VerifierOptions,
} from '../../src/index.js'
import {
  AUDIENCE,
  createClock,
  type EventLog,
  generateTestKey,
  recordEvents,
  signToken,
  type TestClock,
  type TestKey,
  tokenClaims,
} from '../helpers/jwks-server.js'

const ISSUER = 'https://auth.example.com'
const T0 = 1_900_000_000_000 // ms; a whole second
let key: TestKey
let clock: TestClock
let log: EventLog

beforeAll(async () => {
  key = await generateTestKey('ES256')
})

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    clock,
    onEvent: log.onEvent,
    ...options,
  })
}

function sign(overrides: Record<string, unknown> = {}): Promise<string> {
  return signToken(tokenClaims(ISSUER, T0, overrides), { key })
}

function fresh(): void {
  clock = createClock(T0)
  log = recordEvents()
}

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AuthError) return error
    throw error
  }
  throw new Error('the token was accepted')
}

function counts(): { verified: number; hits: number; misses: number; rejected: number } {
  return {
    verified: log.of('token_verified').length,
    hits: log.of('token_cache_hit').length,
    misses: log.of('token_cache_miss').length,
    rejected: log.of('token_rejected').length,
  }
}

describe('reuse', () => {
  it('a reused token is verified once, then served from the cache', async () => {
    fresh()
    const verifier = verifierFor()
    const token = await sign()
    const first = await verifier.verify(token)
    for (let index = 0; index < 9; index++) {
      clock.advance(1_000)
      expect(await verifier.verify(token)).toBe(first)
    }
    expect(await verifier.authenticate(`Bearer ${token}`)).toBe(first)
    expect(counts()).toEqual({ verified: 1, hits: 10, misses: 1, rejected: 0 })
    expect(log.of('token_cache_hit')[0]).toEqual({
      type: 'token_cache_hit',
      issuer: ISSUER,
      clientId: 'billing',
    })
  })

  it('tokenCache: false verifies every time and reports no cache events', async () => {
    fresh()
    const verifier = verifierFor({ tokenCache: false })
    const token = await sign()
    const results = [await verifier.verify(token), await verifier.verify(token), await verifier.verify(token)]
    expect(new Set(results).size).toBe(3)
    expect(counts()).toEqual({ verified: 3, hits: 0, misses: 0, rejected: 0 })
  })

  it('a rejected token is never cached', async () => {
    fresh()
    const verifier = verifierFor()
    const token = await sign({ aud: 'https://someone-else.example.com' })
    for (let index = 0; index < 3; index++) {
      expect((await rejection(verifier.verify(token))).reason).toBe('audience_mismatch')
    }
    expect(counts()).toEqual({ verified: 0, hits: 0, misses: 3, rejected: 3 })
  })

  it('a token differing from a cached one by its signature is not a hit', async () => {
    fresh()
    const verifier = verifierFor()
    const token = await sign()
    await verifier.verify(token)
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`
    expect((await rejection(verifier.verify(`${header}.${payload}.${flipped}`))).reason).toBe(
      'signature_invalid',
    )
    expect(counts()).toMatchObject({ verified: 1, hits: 0, misses: 2 })
  })

  it('is bounded: tokenCache 10 with 50 distinct tokens still gives every client its own result', async () => {
    fresh()
    const verifier = verifierFor({ tokenCache: 10 })
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, index) => sign({ client_id: `client-${index}`, scope: `s${index}` })),
    )
    for (let round = 0; round < 2; round++) {
      for (const [index, token] of tokens.entries()) {
        const auth = await verifier.verify(token)
        expect(auth.clientId).toBe(`client-${index}`)
        expect(auth.scopes).toEqual([`s${index}`])
      }
    }
    // Least recently used first: the second pass finds none of them.
    expect(counts()).toEqual({ verified: 100, hits: 0, misses: 100, rejected: 0 })
    // The last ten are the ones kept.
    for (const [index, token] of tokens.slice(40).entries()) {
      expect((await verifier.verify(token)).clientId).toBe(`client-${40 + index}`)
    }
    expect(counts()).toMatchObject({ verified: 100, hits: 10 })
    expect((await verifier.verify(tokens[39] as string)).clientId).toBe('client-39')
    expect(counts()).toMatchObject({ verified: 101, hits: 10 })
  })
})

describe('expiry', () => {
  it('a cached token stops passing once the clock passes exp + clockTolerance', async () => {
    fresh()
    const verifier = verifierFor()
    const exp = T0 / 1000 + 60
    const token = await sign({ exp })
    await verifier.verify(token)
    clock.set((exp + 5) * 1000 - 1)
    await verifier.verify(token)
    expect(counts()).toMatchObject({ verified: 1, hits: 1 })
    clock.set((exp + 5) * 1000)
    const error = await rejection(verifier.verify(token))
    expect(error.status).toBe(401)
    expect(error.reason).toBe('token_expired')
    expect(counts()).toEqual({ verified: 1, hits: 1, misses: 2, rejected: 1 })
  })

  it('maxTokenAge is honoured on cache hits', async () => {
    fresh()
    const verifier = verifierFor({ maxTokenAge: 30, clockTolerance: 0 })
    const iat = T0 / 1000
    const token = await sign({ iat, exp: iat + 3600 })
    await verifier.verify(token)
    clock.set((iat + 31) * 1000 - 1)
    await verifier.verify(token)
    expect(counts()).toMatchObject({ verified: 1, hits: 1 })
    clock.set((iat + 31) * 1000)
    expect((await rejection(verifier.verify(token))).reason).toBe('token_too_old')
    expect(counts()).toMatchObject({ verified: 1, hits: 1, rejected: 1 })
  })

  // The cache must never change an outcome: at every instant around each
  // boundary, a cached verifier answers exactly as one that verifies each time.
  it.each([
    { clockTolerance: 0, maxTokenAge: undefined, iat: 0, exp: 60 },
    { clockTolerance: 5, maxTokenAge: undefined, iat: 0, exp: 60 },
    { clockTolerance: 2.5, maxTokenAge: undefined, iat: 0, exp: 60.5 },
    { clockTolerance: 5, maxTokenAge: 30, iat: 0, exp: 3600 },
    { clockTolerance: 2.5, maxTokenAge: 30.5, iat: 0.5, exp: 3600 },
    { clockTolerance: 0, maxTokenAge: 120, iat: -30, exp: 60 },
  ])('cached and uncached verifiers agree at every boundary: %o', async (config) => {
    fresh()
    const options = {
      clockTolerance: config.clockTolerance,
      ...(config.maxTokenAge === undefined ? {} : { maxTokenAge: config.maxTokenAge }),
    }
    const cached = verifierFor(options)
    const uncached = verifierFor({ ...options, tokenCache: false })
    const base = T0 / 1000
    const token = await sign({ iat: base + config.iat, exp: base + config.exp })
    const boundaries = [
      base + config.exp + config.clockTolerance,
      ...(config.maxTokenAge === undefined
        ? []
        : [base + config.iat + config.maxTokenAge + config.clockTolerance]),
    ]
    const instants = boundaries
      .flatMap((seconds) =>
        [-1001, -1000, -501, -1, 0, 1, 499, 500, 999, 1000].map((ms) => seconds * 1000 + ms),
      )
      .map((ms) => Math.round(ms))
      .sort((a, b) => a - b)
    await cached.verify(token)
    const seen = new Set<string>()
    let agreed = 0
    for (const instant of instants) {
      clock.set(instant)
      const outcome = async (verifier: Verifier) =>
        verifier.verify(token).then(
          () => 'pass',
          (error: AuthError) => error.reason,
        )
      const [withCache, withoutCache] = [await outcome(cached), await outcome(uncached)]
      expect({ instant, outcome: withCache }).toEqual({ instant, outcome: withoutCache })
      seen.add(withCache)
      agreed++
    }
    expect(agreed).toBe(instants.length)
    // Both sides of the boundary were exercised.
    expect(seen.has('pass')).toBe(true)
    expect([...seen].some((outcome) => outcome === 'token_expired' || outcome === 'token_too_old')).toBe(true)
    expect(log.of('token_cache_hit').length).toBeGreaterThan(0)
  })
})

describe('requirements on cached results', () => {
  it('are checked on every hit', async () => {
    fresh()
    const verifier = verifierFor()
    const token = await sign({ scope: 'orders:read', client_id: 'billing' })
    await verifier.verify(token, { scopes: ['orders:read'] })

    const missingScope = await rejection(verifier.verify(token, { scopes: ['orders:write'] }))
    expect(missingScope.status).toBe(403)
    expect(missingScope.reason).toBe('insufficient_scope')
    const wrongClient = await rejection(verifier.authenticate(`Bearer ${token}`, { clients: ['reports'] }))
    expect(wrongClient.status).toBe(403)
    expect(wrongClient.reason).toBe('client_not_allowed')
    const noneOf = await rejection(verifier.verify(token, { anyScopes: ['admin', 'orders:write'] }))
    expect(noneOf.reason).toBe('insufficient_scope')
    await verifier.verify(token, { scopes: ['orders:read'], clients: ['billing'] })
    await verifier.verify(token)

    expect(counts()).toEqual({ verified: 1, hits: 5, misses: 1, rejected: 3 })
    expect(log.of('token_rejected').map((event) => event.clientId)).toEqual(['billing', 'billing', 'billing'])
  })
})

describe('the cached result is frozen', () => {
  it('mutation attempts throw, and later hits and checks see the original', async () => {
    fresh()
    const verifier = verifierFor()
    const token = await sign({ scope: 'orders:read', act: { sub: 'gateway' }, roles: ['reader'] })
    const auth = await verifier.verify(token)

    expect(Object.isFrozen(auth)).toBe(true)
    expect(Object.isFrozen(auth.scopes)).toBe(true)
    expect(Object.isFrozen(auth.payload)).toBe(true)
    expect(Object.isFrozen(auth.header)).toBe(true)
    expect(Object.isFrozen(auth.payload.act)).toBe(true)
    expect(Object.isFrozen(auth.payload.roles)).toBe(true)

    // Test modules are ES modules, so strict mode: writes to frozen objects throw.
    const attempts: (() => void)[] = [
      () => {
        ;(auth as { clientId: string | undefined }).clientId = 'admin'
      },
      () => (auth.scopes as string[]).push('orders:write'),
      () => {
        ;(auth.scopes as string[])[0] = 'orders:write'
      },
      () => {
        ;(auth.payload as Record<string, unknown>).scope = 'orders:read orders:write'
      },
      () => {
        ;(auth.payload as Record<string, unknown>).exp = Number.MAX_SAFE_INTEGER
      },
      () => {
        ;(auth.payload.act as Record<string, unknown>).sub = 'forged'
      },
      () => (auth.payload.roles as string[]).push('admin'),
      () => {
        ;(auth.header as Record<string, unknown>).kid = 'other'
      },
      () => {
        delete (auth.payload as Record<string, unknown>).aud
      },
    ]
    for (const attempt of attempts) expect(attempt).toThrow(TypeError)

    const again = await verifier.verify(token)
    expect(again).toBe(auth)
    expect(again.clientId).toBe('billing')
    expect(again.scopes).toEqual(['orders:read'])
    expect(again.payload).toMatchObject({
      scope: 'orders:read',
      act: { sub: 'gateway' },
      roles: ['reader'],
    })
    expect(again.payload.aud).toBe(AUDIENCE)
    expect((await rejection(verifier.verify(token, { scopes: ['orders:write'] }))).status).toBe(403)
    expect(counts()).toMatchObject({ verified: 1, hits: 2 })
  })

  it('results of different tokens are distinct objects', async () => {
    fresh()
    const verifier = verifierFor()
    const results: AuthResult[] = []
    for (const client of ['a', 'b']) results.push(await verifier.verify(await sign({ client_id: client })))
    expect(results[0]).not.toBe(results[1])
    expect(results.map((auth) => auth.clientId)).toEqual(['a', 'b'])
  })
})
