import { beforeAll, describe, expect, it } from 'vitest'
import {
  AuthError,
  type AuthErrorReason,
  createVerifier,
  InsufficientScopeError,
  InvalidTokenError,
  type Verifier,
  type VerifierEvent,
  type VerifierOptions,
} from '../src/index.js'
import { AUDIENCE, createSigner, ISSUER, type Signer, validClaims } from './helpers/local-keys.js'

const NOW = 1_900_000_000 // seconds; a frozen clock
let signers: Signer[]
let rs256: Signer

beforeAll(async () => {
  signers = await Promise.all(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'].map((alg) => createSigner(alg)))
  rs256 = signers[0] as Signer
})

function verifierFor(options: Partial<VerifierOptions> = {}, events: VerifierEvent[] = []): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: signers.map((signer) => signer.publicJwk) },
    clock: () => NOW * 1000,
    onEvent: (event) => events.push(event),
    ...options,
  })
}

const claims = (overrides: Record<string, unknown> = {}) => ({ ...validClaims(NOW), ...overrides })

async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return error as AuthError
  }
  throw new Error('the token was accepted')
}

async function expectInvalidToken(token: Promise<string> | string, reason: AuthErrorReason, options = {}) {
  const error = await rejection(verifierFor(options).verify(await token))
  expect(error.status).toBe(401)
  expect(error.code).toBe('invalid_token')
  expect(error.reason).toBe(reason)
  expect(error.wwwAuthenticate).toBe(`Bearer error="invalid_token", error_description="${error.description}"`)
  expect(error.body).toEqual({ error: 'invalid_token', error_description: error.description })
  return error
}

describe('valid tokens', () => {
  it.each(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'])(
    '%s: verifies and reads client and scopes',
    async (alg) => {
      const signer = signers.find((candidate) => candidate.alg === alg) as Signer
      const token = await signer.sign(claims())
      const auth = await verifierFor().verify(token)
      expect(auth.clientId).toBe('billing')
      expect(auth.scopes).toEqual(['orders:read', 'orders:write'])
      expect(auth.payload.iss).toBe(ISSUER)
      expect(auth.header).toMatchObject({ alg, kid: signer.kid, typ: 'at+jwt' })
      expect(auth.token).toBe(token)
    },
  )

  it('authenticate reads the Bearer header', async () => {
    const token = await rs256.sign(claims())
    expect((await verifierFor().authenticate(`Bearer ${token}`)).clientId).toBe('billing')
  })

  it('reads scopes from scp (array or string) and the client from azp', async () => {
    const verifier = verifierFor()
    const fromArray = await verifier.verify(
      await rs256.sign(claims({ scope: undefined, scp: ['a', 'b'], client_id: undefined, azp: 'reports' })),
    )
    expect(fromArray.scopes).toEqual(['a', 'b'])
    expect(fromArray.clientId).toBe('reports')
    const fromString = await verifier.verify(await rs256.sign(claims({ scope: undefined, scp: 'c d' })))
    expect(fromString.scopes).toEqual(['c', 'd'])
  })

  it('honours clientIdClaims order, and no client claim leaves clientId undefined', async () => {
    const token = await rs256.sign(claims({ client_id: 'a', azp: 'b', cid: 'c' }))
    expect((await verifierFor({ clientIdClaims: ['cid', 'client_id'] }).verify(token)).clientId).toBe('c')
    const anonymous = await rs256.sign(claims({ client_id: undefined }))
    expect((await verifierFor().verify(anonymous)).clientId).toBeUndefined()
  })

  it('accepts any configured issuer and any matching audience', async () => {
    const verifier = verifierFor({ issuer: ['https://other', ISSUER], audience: ['x', AUDIENCE] })
    await expect(verifier.verify(await rs256.sign(claims({ aud: ['y', AUDIENCE] })))).resolves.toBeDefined()
  })

  it('allows clock skew within clockTolerance', async () => {
    const verifier = verifierFor({ clockTolerance: 30 })
    await expect(verifier.verify(await rs256.sign(claims({ exp: NOW - 20 })))).resolves.toBeDefined()
    await expect(verifier.verify(await rs256.sign(claims({ nbf: NOW + 20 })))).resolves.toBeDefined()
  })

  it('requireTyp accepts at+jwt and application/at+jwt', async () => {
    const verifier = verifierFor({ requireTyp: true })
    await expect(verifier.verify(await rs256.sign(claims(), { typ: 'at+jwt' }))).resolves.toBeDefined()
    await expect(
      verifier.verify(await rs256.sign(claims(), { typ: 'application/at+jwt' })),
    ).resolves.toBeDefined()
  })

  it('returns a frozen result, so a handler cannot change what the cache serves', async () => {
    const auth = await verifierFor().verify(await rs256.sign(claims()))
    expect(Object.isFrozen(auth)).toBe(true)
    expect(Object.isFrozen(auth.scopes)).toBe(true)
    expect(Object.isFrozen(auth.payload)).toBe(true)
  })
})

describe('invalid tokens: 401 invalid_token', () => {
  it('expired (exp + tolerance passed)', async () => {
    await expectInvalidToken(rs256.sign(claims({ exp: NOW - 6 })), 'token_expired')
  })

  it('not yet valid (nbf)', async () => {
    await expectInvalidToken(rs256.sign(claims({ nbf: NOW + 60 })), 'token_not_yet_valid')
  })

  it('issued in the future (iat)', async () => {
    await expectInvalidToken(rs256.sign(claims({ iat: NOW + 60 })), 'token_issued_in_future')
  })

  it('too old (maxTokenAge)', async () => {
    await expectInvalidToken(rs256.sign(claims({ iat: NOW - 120 })), 'token_too_old', { maxTokenAge: 60 })
  })

  it('without exp (RFC 9068 §2.2)', async () => {
    const error = await expectInvalidToken(rs256.sign(claims({ exp: undefined })), 'missing_claim')
    expect(error.description).toBe("token has no 'exp' claim")
  })

  it('wrong issuer', async () => {
    await expectInvalidToken(rs256.sign(claims({ iss: 'https://evil.example.com' })), 'issuer_unknown')
  })

  it('issuer differing only by a trailing slash says so', async () => {
    const error = await expectInvalidToken(rs256.sign(claims({ iss: `${ISSUER}/` })), 'issuer_unknown')
    expect(error.message).toMatch(/differs from a configured issuer only by a trailing slash/)
    expect(error.description).toMatch(/only by a trailing slash/)
  })

  it('wrong audience, and no audience', async () => {
    await expectInvalidToken(rs256.sign(claims({ aud: 'https://other-api' })), 'audience_mismatch')
    await expectInvalidToken(rs256.sign(claims({ aud: undefined })), 'missing_claim')
  })

  it('wrong or missing typ when required', async () => {
    await expectInvalidToken(rs256.sign(claims(), { typ: 'JWT' }), 'typ_mismatch', { requireTyp: true })
    await expectInvalidToken(rs256.sign(claims(), { typ: undefined }), 'typ_mismatch', { requireTyp: true })
  })

  it('bad signature', async () => {
    const token = await rs256.sign(claims())
    const [header, payload] = token.split('.')
    const other = await rs256.sign(claims({ scope: 'admin' }))
    await expectInvalidToken(`${header}.${payload}.${other.split('.')[2]}`, 'signature_invalid')
  })

  it('unknown kid', async () => {
    await expectInvalidToken(rs256.sign(claims(), { kid: 'nobody' }), 'unknown_key')
  })

  it('an algorithm outside the allowlist', async () => {
    const es256 = signers.find((signer) => signer.alg === 'ES256') as Signer
    await expectInvalidToken(es256.sign(claims()), 'algorithm_not_allowed', { algorithms: ['RS256'] })
  })

  it.each<[string, Record<string, unknown>]>([
    ['iss number', { iss: 42 }],
    ['aud with a number', { aud: [AUDIENCE, 7] }],
    ['aud object', { aud: { value: AUDIENCE } }],
    ['exp string', { exp: String(NOW + 60) }],
    ['nbf string', { nbf: 'now' }],
    ['iat boolean', { iat: true }],
    ['sub number', { sub: 5 }],
    ['scope array of numbers', { scope: [7] }],
    ['scope object', { scope: { read: true } }],
    ['scp number', { scope: undefined, scp: 5 }],
    ['client_id number', { client_id: 7 }],
    ['client_id empty', { client_id: '' }],
  ])('claim of the wrong type (%s)', async (_, overrides) => {
    const error = await rejection(verifierFor().verify(await rs256.sign(claims(overrides))))
    expect(error.status).toBe(401)
    expect(['invalid_claim', 'issuer_mismatch', 'audience_mismatch']).toContain(error.reason)
  })
})

describe('requirements', () => {
  it('verify and authenticate check a requirement: 403 with the missing scope', async () => {
    const token = await rs256.sign(claims({ scope: 'orders:read' }))
    const verifier = verifierFor()
    await expect(verifier.verify(token, { scopes: ['orders:read'] })).resolves.toBeDefined()
    const error = await rejection(verifier.authenticate(`Bearer ${token}`, { scopes: ['orders:write'] }))
    expect(error.status).toBe(403)
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scope: orders:write", scope="orders:write"',
    )
  })

  it('a malformed requirement is a TypeError for the developer, not a 403', async () => {
    const token = await rs256.sign(claims())
    await expect(verifierFor().verify(token, { scopes: 'orders:read' } as never)).rejects.toBeInstanceOf(
      TypeError,
    )
  })

  it('check() works on a verified result', async () => {
    const verifier = verifierFor()
    const auth = await verifier.verify(await rs256.sign(claims({ client_id: 'billing' })))
    expect(() => verifier.check(auth, { clients: ['billing'] })).not.toThrow()
    expect(() => verifier.check(auth, { clients: ['reports'] })).toThrow(/client 'billing' is not allowed/)
  })

  it('authorize() only checks a result this verifier produced, and verifies anything else', async () => {
    const events: VerifierEvent[] = []
    const verifier = verifierFor({ tokenCache: false }, events)
    const token = await rs256.sign(claims({ scope: 'a' }))
    const first = await verifier.authorize(`Bearer ${token}`, { scopes: ['a'] })
    const second = await verifier.authorize(`Bearer ${token}`, undefined, first)
    expect(second).toBe(first)
    expect(events.filter((event) => event.type === 'token_verified')).toHaveLength(1)
    await expect(verifier.authorize(`Bearer ${token}`, { scopes: ['b'] }, first)).rejects.toMatchObject({
      status: 403,
    })

    const other = verifierFor({ audience: 'https://elsewhere' })
    const foreign = await other.authorize(`Bearer ${await rs256.sign(claims({ aud: 'https://elsewhere' }))}`)
    expect(verifier.owns(foreign)).toBe(false)
    expect(other.owns(foreign)).toBe(true)
    await expect(verifier.authorize(`Bearer ${foreign.token}`, undefined, foreign)).rejects.toMatchObject({
      reason: 'audience_mismatch',
    })
    expect(verifier.owns({ ...first })).toBe(false)
  })
})

describe('events', () => {
  it('report verification and rejections with a stable reason, never the token', async () => {
    const events: VerifierEvent[] = []
    const verifier = verifierFor({}, events)
    const token = await rs256.sign(claims())
    await verifier.verify(token)
    await verifier.verify(token)
    const expired = await rs256.sign(claims({ exp: NOW - 100 }))
    await verifier.verify(expired).catch(() => undefined)
    expect(events.map((event) => event.type)).toEqual([
      'token_cache_miss',
      'token_verified',
      'token_cache_hit',
      'token_cache_miss',
      'token_rejected',
    ])
    expect(events[4]).toMatchObject({ type: 'token_rejected', status: 401, reason: 'token_expired' })
    const serialized = JSON.stringify(events)
    for (const secret of [token, expired, token.split('.')[2] as string])
      expect(serialized).not.toContain(secret)
  })

  it('an event handler that throws does not break verification', async () => {
    const verifier = verifierFor({
      onEvent: () => {
        throw new Error('observer bug')
      },
    })
    await expect(verifier.verify(await rs256.sign(claims()))).resolves.toBeDefined()
  })
})

describe('keyStatus and warmUp with a local key set', () => {
  it('is ready at once', async () => {
    const verifier = verifierFor()
    await verifier.warmUp()
    expect(verifier.keyStatus()).toMatchObject({ ready: true, fresh: true, keyCount: signers.length })
  })
})

describe('AuthError across copies of the package', () => {
  it('instanceof AuthError recognises an AuthError from another copy; subclasses check their prototype', async () => {
    const error = await rejection(verifierFor().verify('not-a-token'))
    // A structurally identical error from "another copy": same brand, other class.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('m2m-guard.AuthError'), { value: true })
    expect(foreign).toBeInstanceOf(AuthError)
    expect(new Error('plain')).not.toBeInstanceOf(AuthError)
    expect(error).toBeInstanceOf(InvalidTokenError)
    expect(error).not.toBeInstanceOf(InsufficientScopeError)
    expect(foreign).not.toBeInstanceOf(InvalidTokenError)
  })
})
