/**
 * Property-based tests (fast-check). Whatever arrives in the Authorization
 * header or as a token, the verifier:
 * - accepts only a genuinely valid token (each property has an oracle that
 *   says, independently of the code under test, what must pass),
 * - rejects everything else with an AuthError: never another error, never a crash,
 * - answers each call within a bounded time (a hang guard, not a benchmark).
 *
 * Tokens are built by hand from raw JSON text and signed with node:crypto, so
 * the tests can send what no JWT library writes: `1e400`, duplicate names,
 * deep nesting, wrong types, bytes flipped after signing.
 */
import { constants, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import fc from 'fast-check'
import type { JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { AuthError, type AuthResult, createVerifier, type Verifier } from '../src/index.js'
import { AUDIENCE, ISSUER } from './helpers/local-keys.js'

const NOW = 1_900_000_000 // seconds; a frozen clock
const TOLERANCE = 5 // the default clockTolerance
// A hang guard: a verification that takes this long is broken, whatever the machine.
const HANG_GUARD_MS = 1000
const TEST_TIMEOUT = 60_000

type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

interface RawSigner {
  alg: Alg
  kid: string
  privateKey: KeyObject
  publicJwk: JWK
}

function rawSigner(alg: Alg): RawSigner {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = `prop-${alg.toLowerCase()}`
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  }
}

/** The JWS signature of `input` with `signer`'s key and algorithm, as RFC 7518 encodes it. */
function signatureOf(signer: RawSigner, input: string): Buffer {
  const data = Buffer.from(input)
  switch (signer.alg) {
    case 'RS256':
      return sign('sha256', data, signer.privateKey)
    case 'PS256':
      return sign('sha256', data, {
        key: signer.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
    case 'ES256':
      return sign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' })
    case 'EdDSA':
      return sign(null, data, signer.privateKey)
  }
}

const b64 = (text: string) => Buffer.from(text).toString('base64url')

/** A compact JWS over raw JSON texts, validly signed by `signer` whatever the header says. */
function compact(signer: RawSigner, headerJson: string, payloadJson: string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`
  return `${input}.${signatureOf(signer, input).toString('base64url')}`
}

const SIGNERS: RawSigner[] = (['RS256', 'PS256', 'ES256', 'EdDSA'] as const).map(rawSigner)
const JWKS = { keys: SIGNERS.map((signer) => signer.publicJwk) }

function verifierFor(options: { requireTyp?: boolean; maxTokenLength?: number } = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: JWKS,
    clock: () => NOW * 1000,
    ...options,
  })
}

function validPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'billing',
    client_id: 'billing',
    scope: 'orders:read',
    iat: NOW,
    exp: NOW + 300,
    jti: 'jti-1',
    ...overrides,
  }
}

function validToken(signer: RawSigner, payload = validPayload()): string {
  return compact(
    signer,
    JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt' }),
    JSON.stringify(payload),
  )
}

type Outcome = { accepted: true; auth: AuthResult } | { accepted: false; error: AuthError }

/**
 * Runs one verification and checks the two properties every call must have:
 * it settles within the hang guard, and it only ever rejects with an AuthError.
 */
async function settle(call: () => Promise<AuthResult>): Promise<Outcome> {
  const started = performance.now()
  let outcome: Outcome
  try {
    outcome = { accepted: true, auth: await call() }
  } catch (error) {
    if (!(error instanceof AuthError)) {
      throw new Error(`rejected with something other than an AuthError: ${String(error)}`, { cause: error })
    }
    outcome = { accepted: false, error }
  }
  expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS)
  return outcome
}

describe('the Authorization header', () => {
  const verifier = verifierFor()
  const token = validToken(SIGNERS[0] as RawSigner)

  it(
    'an arbitrary string is never accepted, and is refused with 400 or 401 only',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 200, unit: 'binary' }),
            fc.string({ maxLength: 200 }).map((rest) => `Bearer ${rest}`),
            fc.stringMatching(/^[A-Za-z0-9\-._~+/=]{0,300}$/).map((rest) => `Bearer ${rest}`),
            // Past the size cap: 16 KiB to 48 KiB of a repeated random unit.
            fc
              .tuple(fc.string({ minLength: 1, maxLength: 16 }), fc.integer({ min: 1000, max: 3000 }))
              .map(([unit, times]) => `bearer ${unit.repeat(Math.ceil(16_400 / unit.length) + times)}`),
          ),
          async (header) => {
            const outcome = await settle(() => verifier.authenticate(header))
            expect(outcome.accepted).toBe(false)
            if (!outcome.accepted) expect([400, 401]).toContain(outcome.error.status)
          },
        ),
        { numRuns: 400 },
      )
    },
    TEST_TIMEOUT,
  )

  it(
    'a structured header is accepted exactly when it is "Bearer", spaces, the valid token',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'Basic', 'Bearer:', 'Bearerx', 'Token', ''),
          fc.constantFrom(' ', '   ', '\t', '', ',', ' \t'),
          fc.constantFrom(
            token,
            `${token} ${token}`,
            `${token},`,
            `${token}=`,
            `"${token}"`,
            token.slice(0, -1),
            `${token}.`,
            '',
          ),
          fc.constantFrom('', ' ', '\t', '  ', ' x'),
          fc.constantFrom('', ' ', '\t'),
          async (scheme, separator, candidate, trailing, leading) => {
            const header = `${leading}${scheme}${separator}${candidate}${trailing}`
            const outcome = await settle(() => verifier.authenticate(header))
            const expected =
              scheme.toLowerCase() === 'bearer' &&
              // RFC 6750 wants 1*SP; whitespace after the first space is tolerated (trimmed).
              /^ \s*$/.test(separator) &&
              candidate === token &&
              /^\s*$/.test(trailing)
            expect(outcome.accepted).toBe(expected)
            if (!outcome.accepted) {
              expect([400, 401]).toContain(outcome.error.status)
              // No Bearer credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
              if (scheme.toLowerCase() !== 'bearer') expect(outcome.error.code).toBeUndefined()
            }
          },
        ),
        { numRuns: 400 },
      )
    },
    TEST_TIMEOUT,
  )
})

type Mutation =
  | { kind: 'flipBit'; segment: number; byte: number; bit: number }
  | { kind: 'replaceChar'; index: number; char: string }
  | { kind: 'replaceLastChar'; segment: number; char: string }
  | { kind: 'insertChar'; index: number; char: string }
  | { kind: 'deleteChar'; index: number }
  | { kind: 'swapChars'; first: number; second: number }
  | { kind: 'dropSegment'; segment: number }
  | { kind: 'duplicateSegment'; segment: number }
  | { kind: 'swapSegments'; first: number; second: number }
  | { kind: 'spliceSegment'; segment: number; donor: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'append'; text: string }

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const anyChar = fc.oneof(
  fc.constantFrom(...TOKEN_CHARS.split('')),
  fc.constantFrom('.', '=', '+', '/', ' ', '\u0000', '\u00e9', '%'),
)
const segmentIndex = fc.integer({ min: 0, max: 2 })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flipBit'),
    segment: segmentIndex,
    byte: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('replaceChar'), index: fc.nat(), char: anyChar }),
  // The last character of a segment carries unused bits: the classic non-canonical base64url.
  fc.record({ kind: fc.constant('replaceLastChar'), segment: segmentIndex, char: anyChar }),
  fc.record({ kind: fc.constant('insertChar'), index: fc.nat(), char: anyChar }),
  fc.record({ kind: fc.constant('deleteChar'), index: fc.nat() }),
  fc.record({ kind: fc.constant('swapChars'), first: fc.nat(), second: fc.nat() }),
  fc.record({ kind: fc.constant('dropSegment'), segment: segmentIndex }),
  fc.record({ kind: fc.constant('duplicateSegment'), segment: segmentIndex }),
  fc.record({ kind: fc.constant('swapSegments'), first: segmentIndex, second: segmentIndex }),
  fc.record({ kind: fc.constant('spliceSegment'), segment: segmentIndex, donor: fc.nat() }),
  fc.record({ kind: fc.constant('truncate'), length: fc.nat() }),
  fc.record({ kind: fc.constant('append'), text: fc.string({ minLength: 1, maxLength: 8 }) }),
) as fc.Arbitrary<Mutation>

/** Applies one mutation to `token`; `donors` are other valid tokens to splice segments from. */
function mutate(token: string, change: Mutation, donors: readonly string[]): string {
  const parts = token.split('.')
  const at = (index: number, length: number) => index % Math.max(1, length)
  // Earlier mutations may have dropped segments: pick among those left.
  const segment = (index: number) => at(index, parts.length)
  switch (change.kind) {
    case 'flipBit': {
      const bytes = Buffer.from(parts[segment(change.segment)] as string, 'base64url')
      if (bytes.length === 0) return token
      const index = at(change.byte, bytes.length)
      bytes[index] = (bytes[index] as number) ^ (1 << change.bit)
      parts[segment(change.segment)] = bytes.toString('base64url')
      return parts.join('.')
    }
    case 'replaceChar': {
      const index = at(change.index, token.length)
      return token.slice(0, index) + change.char + token.slice(index + 1)
    }
    case 'replaceLastChar': {
      const index = segment(change.segment)
      const part = parts[index] as string
      parts[index] = part.slice(0, -1) + change.char
      return parts.join('.')
    }
    case 'insertChar': {
      const index = at(change.index, token.length + 1)
      return token.slice(0, index) + change.char + token.slice(index)
    }
    case 'deleteChar': {
      const index = at(change.index, token.length)
      return token.slice(0, index) + token.slice(index + 1)
    }
    case 'swapChars': {
      const chars = token.split('')
      const first = at(change.first, chars.length)
      const second = at(change.second, chars.length)
      ;[chars[first], chars[second]] = [chars[second] as string, chars[first] as string]
      return chars.join('')
    }
    case 'dropSegment':
      return parts.filter((_, index) => index !== segment(change.segment)).join('.')
    case 'duplicateSegment': {
      const index = segment(change.segment)
      return [...parts.slice(0, index + 1), ...parts.slice(index)].join('.')
    }
    case 'swapSegments': {
      const [first, second] = [segment(change.first), segment(change.second)]
      ;[parts[first], parts[second]] = [parts[second] as string, parts[first] as string]
      return parts.join('.')
    }
    case 'spliceSegment': {
      const donor = (donors[at(change.donor, donors.length)] as string).split('.')
      const index = segment(change.segment)
      parts[index] = donor[index] as string
      return parts.join('.')
    }
    case 'truncate':
      return token.slice(0, at(change.length, token.length))
    case 'append':
      return token + change.text
  }
}

describe('near-valid tokens: one part mutated', () => {
  const verifier = verifierFor()
  const uncached = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: JWKS,
    clock: () => NOW * 1000,
    tokenCache: false,
  })
  // Valid tokens of every algorithm, and for each a donor signed by the same key over other claims.
  const originals = SIGNERS.map((signer) => validToken(signer))
  const donors = [
    ...SIGNERS.map((signer) => validToken(signer, validPayload({ scope: 'admin', jti: 'jti-2' }))),
    ...originals,
  ]
  const genuine = new Set(donors)

  it('every unmutated token passes', async () => {
    for (const token of originals) {
      expect((await settle(() => verifier.verify(token))).accepted).toBe(true)
      expect((await settle(() => uncached.verify(token))).accepted).toBe(true)
    }
  })

  it(
    'a mutated token is refused with a 401 unless it is the very same string as a genuine token',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: originals.length - 1 }),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          async (which, changes, cached) => {
            const original = originals[which] as string
            const mutated = changes.reduce((token, change) => mutate(token, change, donors), original)
            const target = cached ? verifier : uncached
            const outcome = await settle(() => target.verify(mutated))
            // Splicing every segment from one donor rebuilds that donor: a valid token too.
            expect(outcome.accepted).toBe(genuine.has(mutated))
            if (!outcome.accepted) expect(outcome.error.status).toBe(401)
            const viaHeader = await settle(() => target.authenticate(`Bearer ${mutated}`))
            // The header's surrounding whitespace is not part of the credentials (HTTP OWS).
            expect(viaHeader.accepted).toBe(genuine.has(mutated.trim()))
          },
        ),
        { numRuns: 1000 },
      )
    },
    TEST_TIMEOUT,
  )
})

// --- claims of the wrong type ------------------------------------------------

/** A JSON text written verbatim into a payload: numbers JSON.stringify never writes. */
class RawJson {
  constructor(readonly text: string) {}
}

function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([name, member]) => `${JSON.stringify(name)}:${toJson(member)}`)
      .join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

const ABSENT = Symbol('absent')
const wrongTypes = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }),
  fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), new RawJson('-0'), new RawJson('1E3')),
)
const numericDate = (...typical: number[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...typical) },
    { weight: 4, arbitrary: fc.integer({ min: NOW - 20, max: NOW + 20 }) },
    { weight: 2, arbitrary: fc.double({ min: NOW - 20, max: NOW + 20, noNaN: true }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(new RawJson('1e400'), new RawJson('1.9e9'), new RawJson('-1e400')),
    },
    { weight: 1, arbitrary: fc.constant(String(NOW + 300)) },
    { weight: 2, arbitrary: wrongTypes },
    { weight: 2, arbitrary: fc.constant(ABSENT) },
  )
const claimArbitraries = {
  iss: fc.oneof(
    { weight: 8, arbitrary: fc.constant(ISSUER) },
    { weight: 1, arbitrary: fc.constantFrom(`${ISSUER}/`, [ISSUER], ABSENT) },
    { weight: 2, arbitrary: wrongTypes },
  ),
  aud: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(AUDIENCE, [AUDIENCE], ['other', AUDIENCE]) },
    {
      weight: 2,
      arbitrary: fc.constantFrom([AUDIENCE, 7], [AUDIENCE, null], 'other', { [AUDIENCE]: true }, ABSENT),
    },
    { weight: 2, arbitrary: wrongTypes },
  ),
  exp: numericDate(NOW + 300, NOW - TOLERANCE, NOW - TOLERANCE + 1),
  nbf: numericDate(NOW, NOW + TOLERANCE, NOW + TOLERANCE + 1),
  iat: numericDate(NOW, NOW + TOLERANCE, NOW + TOLERANCE + 1, NOW - 10_000),
  sub: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('billing', ABSENT) },
    { weight: 1, arbitrary: wrongTypes },
  ),
  jti: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('jti-1', ABSENT) },
    { weight: 1, arbitrary: wrongTypes },
  ),
  scope: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('orders:read', '', ' a  b ', ABSENT) },
    { weight: 1, arbitrary: wrongTypes },
  ),
  scp: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(ABSENT, ['a', 'b'], 'a b', ['a', '']) },
    { weight: 1, arbitrary: wrongTypes },
  ),
  client_id: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('billing', ABSENT, '') },
    { weight: 1, arbitrary: wrongTypes },
  ),
  azp: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('reports', ABSENT) },
    { weight: 1, arbitrary: wrongTypes },
  ),
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string')

/**
 * The oracle: whether a payload (as parsed) is a valid access token for this
 * verifier at NOW, written from RFC 7519 / RFC 9068 and DESIGN.md, not from
 * the code under test.
 */
function payloadIsValid(payload: Record<string, unknown>): boolean {
  const has = (name: string) => Object.hasOwn(payload, name)
  const { iss, aud, exp, nbf, iat, sub, jti, scope, scp } = payload
  if (iss !== ISSUER) return false
  if (!(aud === AUDIENCE || (isStringList(aud) && aud.includes(AUDIENCE)))) return false
  if (!isNumber(exp) || exp <= NOW - TOLERANCE) return false
  if (has('nbf') && (!isNumber(nbf) || nbf > NOW + TOLERANCE)) return false
  if (has('iat') && (!isNumber(iat) || iat > NOW + TOLERANCE)) return false
  if (has('sub') && typeof sub !== 'string') return false
  if (has('jti') && typeof jti !== 'string') return false
  // DESIGN.md: every scope claim (`scope`, `scp`) is a space-delimited string or an array of strings.
  for (const [name, value] of [
    ['scope', scope],
    ['scp', scp],
  ] as const) {
    if (has(name) && !(typeof value === 'string' || isStringList(value))) return false
  }
  const clientClaim = ['client_id', 'azp'].find(has)
  if (clientClaim !== undefined) {
    const client = payload[clientClaim]
    if (typeof client !== 'string' || client === '') return false
  }
  return true
}

describe('random claims, many of the wrong type', () => {
  const verifier = verifierFor()

  // Exhaustive next to the random property below: every registered claim, one at a time,
  // replaced by every hostile value, so that no single-claim rule depends on the draw.
  const HOSTILE: unknown[] = [
    ABSENT,
    null,
    true,
    '',
    'text',
    String(NOW + 300),
    0,
    -1,
    0.5,
    NOW - TOLERANCE,
    NOW - TOLERANCE + 1,
    NOW + TOLERANCE,
    NOW + TOLERANCE + 1,
    NOW + 300,
    new RawJson('1e400'),
    new RawJson('-1e400'),
    new RawJson('1.9e9'),
    [],
    {},
    [AUDIENCE],
    [AUDIENCE, 7],
    ['a', 'b'],
    ISSUER,
    AUDIENCE,
  ]

  it('each claim replaced by each hostile value: accepted exactly when the oracle says so', async () => {
    const signer = SIGNERS[2] as RawSigner // ES256: cheap to sign
    const header = JSON.stringify({ alg: signer.alg, kid: signer.kid })
    for (const name of Object.keys(claimArbitraries)) {
      for (const value of HOSTILE) {
        const claims: Record<string, unknown> = { ...validPayload() }
        if (value === ABSENT) delete claims[name]
        else claims[name] = value
        const payloadJson = toJson(claims)
        const outcome = await settle(() => verifier.verify(compact(signer, header, payloadJson)))
        const expected = payloadIsValid(JSON.parse(payloadJson) as Record<string, unknown>)
        expect(outcome.accepted, `${name}: ${payloadJson}`).toBe(expected)
      }
    }
  })

  it(
    'a validly signed token is accepted exactly when its claims are valid',
    async () => {
      let accepted = 0
      let refused = 0
      await fc.assert(
        fc.asyncProperty(
          fc.record(claimArbitraries),
          fc.subarray(Object.keys(claimArbitraries), { maxLength: 4 }),
          fc.constantFrom(...SIGNERS),
          fc.boolean(),
          async (drawn, replaced, signer, duplicateExp) => {
            // A valid payload with up to four claims replaced by drawn (often wrong) values.
            const merged: Record<string, unknown> = { ...validPayload() }
            for (const name of replaced) merged[name] = drawn[name as keyof typeof drawn]
            const claims = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== ABSENT))
            let payloadJson = toJson(claims)
            // A duplicated name: JSON.parse keeps the last, and so must every check.
            if (duplicateExp)
              payloadJson = `{"exp":${NOW + 300}${payloadJson === '{}' ? '' : ','}${payloadJson.slice(1)}`
            const payload = JSON.parse(payloadJson) as Record<string, unknown>
            const header = JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: 'at+jwt' })
            const outcome = await settle(() => verifier.verify(compact(signer, header, payloadJson)))
            expect(outcome.accepted).toBe(payloadIsValid(payload))
            if (outcome.accepted) {
              accepted++
              expect(outcome.auth.payload).toEqual(payload)
              expect(outcome.auth.clientId).toBe(payload.client_id ?? payload.azp)
              expect(outcome.auth.scopes.every((scope) => scope !== '' && !scope.includes(' '))).toBe(true)
            } else {
              refused++
              expect(outcome.error.status).toBe(401)
              expect(outcome.error.code).toBe('invalid_token')
            }
          },
        ),
        { numRuns: 400 },
      )
      // Guard against a vacuous property: both outcomes were exercised.
      expect(accepted).toBeGreaterThan(20)
      expect(refused).toBeGreaterThan(20)
    },
    TEST_TIMEOUT,
  )
})

describe('random protected headers', () => {
  const verifier = verifierFor({ requireTyp: true })
  const jsonValue = fc.jsonValue({ maxDepth: 2 })
  const extraHeaders = fc.dictionary(
    fc.constantFrom(
      'cty',
      'jku',
      'x5u',
      'jwk',
      'x5c',
      'x5t',
      'x5t#S256',
      'zip',
      'enc',
      'epk',
      'iss',
      'url',
      'nonce',
    ),
    jsonValue,
    { maxKeys: 4 },
  )

  it(
    'a validly signed token is accepted exactly when alg, kid and typ are right; other members change nothing',
    async () => {
      let accepted = 0
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SIGNERS),
          fc.oneof(
            { weight: 6, arbitrary: fc.constant('own') },
            {
              weight: 4,
              arbitrary: fc.constantFrom(
                'none',
                'None',
                'HS256',
                'RS256',
                'PS256',
                'ES256',
                'ES384',
                'EdDSA',
                'Ed25519',
                '',
              ),
            },
            { weight: 1, arbitrary: jsonValue },
            { weight: 1, arbitrary: fc.constant(ABSENT) },
          ),
          fc.oneof(
            { weight: 6, arbitrary: fc.constant('own') },
            { weight: 2, arbitrary: fc.constant(ABSENT) },
            {
              weight: 2,
              arbitrary: fc.oneof(
                fc.constantFrom(...SIGNERS.map((other) => other.kid)),
                fc.string(),
                jsonValue,
              ),
            },
            {
              weight: 1,
              arbitrary: fc.constantFrom('../../../../etc/passwd', "' OR 1=1 --", '\u0000', 'x'.repeat(5000)),
            },
          ),
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT') },
            { weight: 2, arbitrary: fc.constantFrom('JWT', 'jwt', 'at+jwt ', 'application/jwt', ABSENT) },
            { weight: 1, arbitrary: jsonValue },
          ),
          extraHeaders,
          async (signer, algChoice, kidChoice, typ, extras) => {
            const header: Record<string, unknown> = { ...extras }
            const alg = algChoice === 'own' ? signer.alg : algChoice
            const kid = kidChoice === 'own' ? signer.kid : kidChoice
            if (alg !== ABSENT) header.alg = alg
            if (kid !== ABSENT) header.kid = kid
            if (typ !== ABSENT) header.typ = typ
            const token = compact(signer, JSON.stringify(header), JSON.stringify(validPayload()))
            const outcome = await settle(() => verifier.verify(token))
            const expected =
              alg === signer.alg &&
              (kid === ABSENT || kid === signer.kid) &&
              typeof typ === 'string' &&
              ['at+jwt', 'application/at+jwt'].includes(typ.toLowerCase())
            expect(outcome.accepted).toBe(expected)
            if (outcome.accepted) accepted++
            else expect(outcome.error.status).toBe(401)
          },
        ),
        { numRuns: 300 },
      )
      expect(accepted).toBeGreaterThan(20)
    },
    TEST_TIMEOUT,
  )
})

describe('huge and deeply nested JSON', () => {
  const nested = (depth: number, open: string, close: string, inner = '0') =>
    `${open.repeat(depth)}${inner}${close.repeat(depth)}`
  const shape = fc.constantFrom(['[', ']'], ['{"a":', '}'])

  it(
    'deep nesting in the header or the payload: bounded time; a valid token within the size cap passes',
    async () => {
      const verifier = verifierFor()
      const signer = SIGNERS[2] as RawSigner // ES256: cheap to sign, so runs stay fast
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6000 }),
          shape,
          fc.constantFrom('header', 'payload'),
          async (depth, [open, close], where) => {
            const deep = nested(depth, open as string, close as string)
            const header = `{"alg":"ES256","kid":"${signer.kid}"${where === 'header' ? `,"ext":${deep}` : ''}}`
            const payload = JSON.stringify(validPayload()).replace(
              /}$/,
              where === 'payload' ? `,"ext":${deep}}` : '}',
            )
            const token = compact(signer, header, payload)
            const outcome = await settle(() => verifier.verify(token))
            if (token.length > 16_384) {
              expect(outcome.accepted ? undefined : outcome.error.reason).toBe('token_too_large')
            } else {
              expect(outcome.accepted).toBe(true)
            }
          },
        ),
        { numRuns: 60 },
      )
    },
    TEST_TIMEOUT,
  )

  it(
    'with the size cap raised to 2 MB: a valid token nesting 60,000 deep with 10,000 claims passes in bounded time',
    async () => {
      const verifier = verifierFor({ maxTokenLength: 2_000_000 })
      const signer = SIGNERS[2] as RawSigner
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 10_000, max: 60_000 }),
          fc.integer({ min: 1, max: 10_000 }),
          shape,
          fc.constantFrom('header', 'payload', 'both'),
          async (depth, width, [open, close], where) => {
            const deep = nested(depth, open as string, close as string)
            const wide = Array.from({ length: width }, (_, index) => `"c${index}":${index}`).join(',')
            const extension = `"ext":${deep},${wide}`
            const header = `{"alg":"ES256","kid":"${signer.kid}"${where === 'payload' ? '' : `,${extension}`}}`
            const payload = JSON.stringify(validPayload()).replace(
              /}$/,
              where === 'header' ? '}' : `,${extension}}`,
            )
            const outcome = await settle(() => verifier.verify(compact(signer, header, payload)))
            // Validly signed, valid claims: it passes, however deep (no recursion on the way).
            expect(outcome.accepted ? 'accepted' : outcome.error.reason).toBe('accepted')
          },
        ),
        { numRuns: 8 },
      )
    },
    TEST_TIMEOUT,
  )

  it(
    'unsigned garbage of any size and shape in the three segments is a 401',
    async () => {
      const verifier = verifierFor()
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(fc.jsonValue(), fc.jsonValue(), fc.uint8Array({ maxLength: 600 })),
          async ([header, payload, signature]) => {
            const token = `${b64(JSON.stringify(header) ?? '')}.${b64(JSON.stringify(payload) ?? '')}.${Buffer.from(signature).toString('base64url')}`
            const outcome = await settle(() => verifier.verify(token))
            expect(outcome.accepted).toBe(false)
            if (!outcome.accepted) expect(outcome.error.status).toBe(401)
          },
        ),
        { numRuns: 400 },
      )
    },
    TEST_TIMEOUT,
  )
})

describe('a flood of forged kids against a remote key set', () => {
  it(
    'fetches the issuer at most once per cooldown, whatever kids arrive and however time moves',
    async () => {
      const cooldown = 1000
      const attacker = rawSigner('ES256')
      const issuerKey = SIGNERS[2] as RawSigner
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              kid: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(issuerKey.kid)),
              advance: fc.integer({ min: 0, max: 2 * cooldown }),
              concurrent: fc.integer({ min: 1, max: 5 }),
            }),
            { minLength: 1, maxLength: 40 },
          ),
          async (steps) => {
            let now = NOW * 1000
            let fetches = 0
            const verifier = createVerifier({
              issuer: ISSUER,
              audience: AUDIENCE,
              jwksUri: 'https://auth.example.com/jwks',
              jwksCache: { cooldown, maxAge: 60_000 },
              clock: () => now,
              fetch: async () => {
                fetches++
                return Response.json(JWKS)
              },
            })
            const started = now
            for (const { kid, advance, concurrent } of steps) {
              now += advance
              const forged = compact(
                attacker,
                JSON.stringify({ alg: 'ES256', kid }),
                JSON.stringify(validPayload()),
              )
              const outcomes = await Promise.all(
                Array.from({ length: concurrent }, () => settle(() => verifier.verify(forged))),
              )
              for (const outcome of outcomes) {
                expect(outcome.accepted).toBe(false)
                if (!outcome.accepted) expect(outcome.error.status).toBe(401)
              }
            }
            expect(fetches).toBeGreaterThanOrEqual(1)
            expect(fetches).toBeLessThanOrEqual(1 + Math.floor((now - started) / cooldown))
          },
        ),
        { numRuns: 60 },
      )
    },
    TEST_TIMEOUT,
  )
})

// --- signature encodings: hand-made Wycheproof-style cases -------------------
// No registry package ships the Wycheproof vectors (see SECURITY.md), so these
// are the edge cases that matter for JWS, built here and sent through the core.

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')
const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n

const toBytes = (value: bigint, length: number) =>
  Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex')
const toBigInt = (bytes: Buffer) => BigInt(`0x${bytes.toString('hex') || '0'}`)

describe('signature encodings (hand-made, Wycheproof-style)', () => {
  const verifier = verifierFor()
  const [rs256, , es256, eddsa] = SIGNERS as [RawSigner, RawSigner, RawSigner, RawSigner]

  /** The token `signer` issues, with its signature replaced by `signature`. */
  function withSignature(signer: RawSigner, signature: (valid: Buffer, input: string) => Buffer): string {
    const [header, payload, valid] = validToken(signer).split('.') as [string, string, string]
    const input = `${header}.${payload}`
    return `${input}.${signature(Buffer.from(valid, 'base64url'), input).toString('base64url')}`
  }

  async function refusedReason(token: string): Promise<string> {
    const outcome = await settle(() => verifier.verify(token))
    if (outcome.accepted) throw new Error('the token was accepted')
    expect(outcome.error.status).toBe(401)
    return outcome.error.reason
  }

  it('a validly signed token whose header or claims are not UTF-8 is refused (RFC 8725 §3.7)', async () => {
    const signer = es256
    const invalidUtf8 = Buffer.from([0x22, 0xc3, 0x28, 0x22]) // a string holding a broken two-byte sequence
    const header = Buffer.from(JSON.stringify({ alg: signer.alg, kid: signer.kid }))
    const payload = Buffer.from(JSON.stringify(validPayload()))
    const withSub = (json: Buffer) =>
      Buffer.concat([json.subarray(0, -1), Buffer.from(',"sub":'), invalidUtf8, Buffer.from('}')])
    for (const [h, p] of [
      [withSub(header), payload],
      [header, withSub(payload)],
    ] as const) {
      const input = `${h.toString('base64url')}.${p.toString('base64url')}`
      const token = `${input}.${signatureOf(signer, input).toString('base64url')}`
      expect(await refusedReason(token)).toBe('token_malformed')
    }
  })

  it('a segment spelled non-canonically (same bytes, other last character) is refused', async () => {
    for (const signer of SIGNERS) {
      const token = validToken(signer)
      // Every signature here has 4 unused bits in its last character: 'A' and 'B' decode alike.
      const last = token.at(-1) as string
      const twin = `${token.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) + 1)}`
      expect(Buffer.from(twin.split('.')[2] as string, 'base64url')).toEqual(
        Buffer.from(token.split('.')[2] as string, 'base64url'),
      )
      expect(await refusedReason(twin)).toBe('token_malformed')
      expect((await settle(() => verifier.verify(token))).accepted).toBe(true)
    }
  })

  it.each<[string, (valid: Buffer) => Buffer]>([
    ['r = 0 and s = 0 (the "psychic signature", CVE-2022-21449)', () => Buffer.alloc(64)],
    ['r = 0', (valid) => Buffer.concat([Buffer.alloc(32), valid.subarray(32)])],
    ['s = 0', (valid) => Buffer.concat([valid.subarray(0, 32), Buffer.alloc(32)])],
    ['r = s = n (the group order)', () => Buffer.concat([toBytes(P256_ORDER, 32), toBytes(P256_ORDER, 32)])],
    [
      's = 2^256 - 1 (above the group order)',
      (valid) => Buffer.concat([valid.subarray(0, 32), Buffer.alloc(32, 0xff)]),
    ],
    ['63 bytes (a byte dropped)', (valid) => valid.subarray(1)],
    ['65 bytes (a zero byte prepended)', (valid) => Buffer.concat([Buffer.alloc(1), valid])],
    ['empty', () => Buffer.alloc(0)],
  ])('ES256 signature %s is refused', async (_, change) => {
    const token = withSignature(es256, (valid) => change(valid))
    expect(['signature_invalid', 'token_malformed']).toContain(await refusedReason(token))
  })

  it('ES256 signature in ASN.1 DER instead of the raw r||s of RFC 7518 §3.4 is refused', async () => {
    const token = withSignature(es256, (_, input) =>
      sign('sha256', Buffer.from(input), { key: es256.privateKey, dsaEncoding: 'der' }),
    )
    expect(await refusedReason(token)).toBe('signature_invalid')
  })

  it('ES256 high-S twin (s → n − s) verifies: ECDSA is malleable, so a token string is no identifier (use jti)', async () => {
    const token = withSignature(es256, (valid) => {
      const s = toBigInt(valid.subarray(32))
      return Buffer.concat([valid.subarray(0, 32), toBytes(P256_ORDER - s, 32)])
    })
    // Documented behaviour, not a defect: RFC 7518 allows both, and issuers emit both.
    expect((await settle(() => verifier.verify(token))).accepted).toBe(true)
  })

  it.each<[string, (valid: Buffer) => Buffer]>([
    ['255 bytes (leading byte dropped)', (valid) => valid.subarray(1)],
    ['257 bytes (zero byte prepended)', (valid) => Buffer.concat([Buffer.alloc(1), valid])],
    ['all zero', (valid) => Buffer.alloc(valid.length)],
    ['s = modulus', () => Buffer.from(rs256.publicJwk.n as string, 'base64url')],
    ['s = 1', (valid) => toBytes(1n, valid.length)],
  ])('RS256 signature %s is refused', async (_, change) => {
    const token = withSignature(rs256, (valid) => change(valid))
    expect(['signature_invalid', 'token_malformed']).toContain(await refusedReason(token))
  })

  it.each<[string, (valid: Buffer) => Buffer]>([
    [
      'S + L (non-canonical S, RFC 8032 §5.1.7)',
      (valid) => {
        const s = BigInt(`0x${Buffer.from(valid.subarray(32)).reverse().toString('hex')}`) + ED25519_ORDER
        return Buffer.concat([valid.subarray(0, 32), toBytes(s, 32).reverse()])
      },
    ],
    ['all zero', () => Buffer.alloc(64)],
    ['63 bytes', (valid) => valid.subarray(1)],
  ])('EdDSA signature %s is refused', async (_, change) => {
    const token = withSignature(eddsa, (valid) => change(valid))
    expect(['signature_invalid', 'token_malformed']).toContain(await refusedReason(token))
  })
})
