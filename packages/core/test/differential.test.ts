/**
 * Differential test: jose is the oracle. m2m-guard verifies signatures on
 * one of two paths, node:crypto (src/token/signature-node.ts) or WebCrypto
 * through jose (src/token/signature-web.ts), as package.json's `#signature`
 * conditions pick for the runtime, and checks headers and claims itself
 * (src/token/compact-jws.ts, src/token/jwt-claims.ts) instead of calling
 * jose's jwtVerify; along both paths, on valid tokens of
 * every algorithm and on mutated ones (bytes flipped, algorithms swapped,
 * wrong keys, DER and high-S ECDSA, other PSS salts, crit and b64 headers,
 * claims at their boundaries) it must accept exactly what jwtVerify accepts,
 * with the same claims. m2m-guard adds rules of its own on top, written out
 * here as `ownRules`; the corpus keeps away from them except where it tests
 * them on purpose.
 *
 * Each token goes, on each signature path, through one verifier one at a
 * time, all at once, and twice through a cached verifier's authenticate()
 * (the second time from the cache). On node:crypto, one at a time checks on
 * this thread and all at once on libuv's thread pool; the `core-off-thread`
 * vitest project runs this file with every check on the thread pool.
 */
import { constants, generateKeyPairSync, type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto'
import { createLocalJWKSet, type JWK, type JWTVerifyOptions, jwtVerify } from 'jose'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { VerifierOptions } from '../src/index.js'
import type { SignaturePath } from '../src/token/signature-path.js'
import { AUDIENCE, ISSUER } from './helpers/local-keys.js'

const NOW = 1_900_000_000 // seconds; a frozen clock
const TOLERANCE = 5
type Alg = 'RS256' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519'

interface Key {
  kid: string
  privateKey: KeyObject
  jwk: JWK
}

const key = (kid: string, pair: { publicKey: KeyObject; privateKey: KeyObject }, alg?: string): Key => ({
  kid,
  privateKey: pair.privateKey,
  jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...(alg ? { alg } : {}) },
})

let keys: Record<string, Key>
let wrong: Record<string, Key> // same kids, other key material: never in the key set

beforeAll(() => {
  const make = () => ({
    rsa: key('rsa', generateKeyPairSync('rsa', { modulusLength: 2048 })), // no alg: RS* and PS* both fit
    p256: key('p256', generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'),
    p384: key('p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'ES384'),
    p521: key('p521', generateKeyPairSync('ec', { namedCurve: 'P-521' }), 'ES512'),
    ed: key('ed', generateKeyPairSync('ed25519')),
  })
  keys = make()
  wrong = make()
})

const KEY_FOR: Record<Alg, string> = {
  RS256: 'rsa',
  PS256: 'rsa',
  ES256: 'p256',
  ES384: 'p384',
  ES512: 'p521',
  EdDSA: 'ed',
  Ed25519: 'ed',
}
const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** Signs `input` as `alg` with `signer`; `variant` makes the encodings RFC 7518 forbids. */
function signature(alg: Alg, signer: Key, input: string, variant?: 'der' | 'salt-max' | 'salt-0'): Buffer {
  const data = Buffer.from(input)
  const hash = alg.startsWith('Ed') ? null : `sha${alg.slice(2)}`
  let options: SignKeyObjectInput = { key: signer.privateKey }
  if (alg.startsWith('PS')) {
    const saltLength =
      variant === 'salt-max'
        ? constants.RSA_PSS_SALTLEN_MAX_SIGN
        : variant === 'salt-0'
          ? 0
          : constants.RSA_PSS_SALTLEN_DIGEST
    options = { ...options, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
  }
  if (alg.startsWith('ES')) options = { ...options, dsaEncoding: variant === 'der' ? 'der' : 'ieee-p1363' }
  return sign(hash, data, options)
}

interface Spec {
  alg: Alg
  header?: Record<string, unknown>
  /** Raw payload text or bytes, or claims merged over valid ones (`undefined` drops a claim). */
  payload?: string | Buffer | Record<string, unknown>
  signer?: Key
  variant?: 'der' | 'salt-max' | 'salt-0'
}

function token({ alg, header, payload, signer, variant }: Spec): string {
  const own = signer ?? (keys[KEY_FOR[alg]] as Key)
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    client_id: 'billing',
    scope: 'a b',
    iat: NOW - 10,
    exp: NOW + 300,
  }
  const text =
    typeof payload === 'string' || Buffer.isBuffer(payload)
      ? payload
      : JSON.stringify({ ...claims, ...payload })
  const input = `${b64(JSON.stringify({ alg, kid: own.kid, typ: 'at+jwt', ...header }))}.${b64(text)}`
  return `${input}.${b64(signature(alg, own, input, variant))}`
}

const CANONICAL = /^[A-Za-z0-9_-]+$/
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** m2m-guard's rules beyond jose's: canonical base64url and well-typed claims (token/claims.ts, policy/scopes.ts, policy/clients.ts). */
function ownRules(jwt: string, payload: Record<string, unknown>): boolean {
  const canonical = jwt
    .split('.')
    .every((part) => CANONICAL.test(part) && b64(Buffer.from(part, 'base64url')) === part)
  const finite = (name: string) => payload[name] === undefined || Number.isFinite(payload[name])
  const string = (name: string) => payload[name] === undefined || typeof payload[name] === 'string'
  const { aud, iat } = payload
  return (
    canonical &&
    ['iss', 'sub', 'jti', 'scope', 'client_id'].every(string) &&
    ['exp', 'nbf', 'iat'].every(finite) &&
    (typeof aud === 'string' || (Array.isArray(aud) && aud.every((entry) => typeof entry === 'string'))) &&
    (iat === undefined || (iat as number) <= NOW + TOLERANCE) &&
    payload.client_id !== ''
  )
}

/** jose's verdict: the claims if jwtVerify accepts, and whether m2m-guard's own rules then refuse them. */
async function oracle(jwt: string, options: JWTVerifyOptions) {
  const jwks = createLocalJWKSet({ keys: Object.values(keys).map((entry) => entry.jwk) })
  try {
    const { payload } = await jwtVerify(jwt, jwks, options)
    return { payload: ownRules(jwt, payload) ? payload : undefined, joseOnly: !ownRules(jwt, payload) }
  } catch {
    return { payload: undefined, joseOnly: false }
  }
}

/** One flipped bit per position in each segment, re-encoded canonically; and raw character swaps. */
function mutations(jwt: string): string[] {
  const parts = jwt.split('.')
  const out: string[] = []
  parts.forEach((part, index) => {
    const bytes = Buffer.from(part, 'base64url')
    for (const at of [0, 1, bytes.length >> 1, bytes.length - 1]) {
      const flipped = Buffer.from(bytes)
      flipped[at] = (flipped[at] as number) ^ 0x01
      out.push(parts.map((p, i) => (i === index ? b64(flipped) : p)).join('.'))
    }
    for (const replacement of ['A', 'B', 'Q', 'w', '-', '_']) {
      out.push(parts.map((p, i) => (i === index ? p.slice(0, -1) + replacement : p)).join('.'))
    }
    // The same bytes spelled non-canonically: a low bit the decoder ignores, set. jose accepts it.
    const unusedBits = part.length % 4 === 2 ? 4 : part.length % 4 === 3 ? 2 : 0
    if (unusedBits > 0) {
      const respelled = BASE64URL[BASE64URL.indexOf(part.at(-1) as string) | 1] as string
      out.push(parts.map((p, i) => (i === index ? p.slice(0, -1) + respelled : p)).join('.'))
    }
    out.push(parts.map((p, i) => (i === index ? p.slice(0, -1) : p)).join('.')) // one character short
    out.push(parts.map((p, i) => (i === index ? `${p}A` : p)).join('.')) // one character long
  })
  return out
}

function corpus(): string[] {
  const algs: Alg[] = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
  const tokens: string[] = []
  for (const alg of algs) {
    const valid = token({ alg })
    tokens.push(valid, ...mutations(valid))
    tokens.push(token({ alg, signer: { ...(wrong[KEY_FOR[alg]] as Key), kid: KEY_FOR[alg] } })) // wrong key
    tokens.push(token({ alg, header: { crit: ['b64'], b64: true } }), token({ alg, header: { b64: false } }))
    tokens.push(token({ alg, header: { crit: ['b64'], b64: false } }), token({ alg, header: { crit: [] } }))
    tokens.push(token({ alg, header: { crit: ['exp'], exp: 1 } }), token({ alg, header: { crit: ['b64'] } }))
    tokens.push(token({ alg, header: { crit: ['b64', 'exp'], b64: true, exp: 1 } }))
  }
  // Algorithm swaps: a header naming another algorithm than the one that signed.
  const [h, p, s] = token({ alg: 'RS256' }).split('.') as [string, string, string]
  const relabel = (alg: string) =>
    b64(JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg }))
  for (const alg of ['PS256', 'RS384', 'ES256', 'EdDSA', 'HS256', 'none'])
    tokens.push(`${relabel(alg)}.${p}.${s}`)
  tokens.push(token({ alg: 'ES256', signer: { ...(keys.p384 as Key), kid: 'p256' } }))
  // Encodings WebCrypto refuses: DER ECDSA, PSS with another salt length.
  for (const alg of ['ES256', 'ES384', 'ES512'] as Alg[]) tokens.push(token({ alg, variant: 'der' }))
  tokens.push(token({ alg: 'PS256', variant: 'salt-max' }), token({ alg: 'PS256', variant: 'salt-0' }))
  // Claims at and around their boundaries, and payloads that are not what they seem.
  for (const payload of [
    { exp: NOW - TOLERANCE },
    { exp: NOW - TOLERANCE + 1 },
    { nbf: NOW + TOLERANCE },
    { nbf: NOW + TOLERANCE + 1 },
    { exp: undefined },
    { iss: `${ISSUER}/` },
    { iss: undefined },
    { aud: ['other', AUDIENCE] },
    { aud: 'https://other.example.com' },
    { aud: ['other'] },
    { aud: undefined },
    { iat: NOW - 3600 },
    { iat: undefined },
    '\ufeff{"iss":"https://auth.example.com","aud":"https://orders.example.com","exp":1900000300}',
    '{"iss":"https://auth.example.com","aud":"https://orders.example.com","exp":1,"exp":1900000300}',
    '[1]',
    '"text"',
  ]) {
    tokens.push(token({ alg: 'ES256', payload }))
  }
  const invalidUtf8 = Buffer.concat([Buffer.from('{"iss":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
  tokens.push(token({ alg: 'EdDSA', payload: invalidUtf8 }))
  for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+jwt', 'jwt', undefined]) {
    tokens.push(token({ alg: 'RS256', header: { typ } }))
  }
  return tokens
}

/** How many signatures each path checked: proof that the path under test is the one that ran. */
const checked = { 'node:crypto': 0, WebCrypto: 0 }
type PathName = keyof typeof checked
/** Of node:crypto's checks, how many ran on the thread pool (its asynchronous verify). */
let checkedOffThread = 0
// Set by the `core-off-thread` vitest project (see vitest.config.ts): every check off the thread.
const offThreadAlways =
  (globalThis as Record<symbol, unknown>)[Symbol.for('m2m-guard.test.signaturesOffThread')] === true

/** Core as it loads when package.json's `#signature` resolves to `path`. */
async function coreOn(path: PathName): Promise<typeof import('../src/index.js')> {
  vi.resetModules()
  const file = path === 'WebCrypto' ? '../src/token/signature-web.js' : '../src/token/signature-node.js'
  vi.doMock('#signature', async () => {
    const module: SignaturePath = await import(file)
    const offThread = module.verifySignatureOffThread
    return {
      ...module,
      verifySignature: (...args: Parameters<SignaturePath['verifySignature']>) => {
        checked[path]++
        return module.verifySignature(...args)
      },
      // Undefined on WebCrypto, as the module itself leaves it.
      verifySignatureOffThread:
        offThread &&
        ((...args: Parameters<SignaturePath['verifySignature']>) => {
          checked[path]++
          checkedOffThread++
          return offThread(...args)
        }),
    }
  })
  return import('../src/index.js')
}

const accepted = (payloads: unknown[]) => payloads.filter((payload) => payload !== undefined).length

const paths: PathName[] = ['node:crypto', 'WebCrypto']
const configurations: [string, Partial<VerifierOptions>, JWTVerifyOptions][] = [
  ['defaults', {}, {}],
  ['requireTyp and maxTokenAge', { requireTyp: true, maxTokenAge: 600 }, { typ: 'at+jwt', maxTokenAge: 600 }],
]

describe.each(
  paths.flatMap((path) => configurations.map((configuration) => [path, ...configuration] as const)),
)('on %s, m2m-guard accepts exactly what jose accepts (%s)', (path, _, extra, joseExtra) => {
  let createVerifier: typeof import('../src/index.js').createVerifier
  beforeAll(async () => {
    ;({ createVerifier } = await coreOn(path))
  })
  const make = (tokenCache: number | false) =>
    createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: Object.values(keys).map((entry) => entry.jwk) },
      clock: () => NOW * 1000,
      tokenCache,
      ...extra,
    })
  const joseOptions: JWTVerifyOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
    clockTolerance: TOLERANCE,
    requiredClaims: ['exp'],
    currentDate: new Date(NOW * 1000),
    ...joseExtra,
  }

  it('on valid and mutated tokens of every algorithm, along every path', async () => {
    const tokens = corpus()
    const verdicts = await Promise.all(tokens.map((jwt) => oracle(jwt, joseOptions)))
    const expected = verdicts.map((verdict) => verdict.payload)
    expect(expected.filter((payload) => payload !== undefined).length).toBeGreaterThan(20)
    expect(expected.filter((payload) => payload === undefined).length).toBeGreaterThan(200)
    // The corpus does reach the one rule that differs: non-canonical spellings jose accepts.
    expect(verdicts.filter((verdict) => verdict.joseOnly).length).toBeGreaterThan(0)
    const outcome = (promise: Promise<{ payload: unknown }>) =>
      promise.then(
        (auth) => auth.payload,
        () => undefined,
      )
    const before = checked[path]
    const uncached = make(false)
    const sequential = []
    const beforeSequential = checkedOffThread
    for (const jwt of tokens) sequential.push(await outcome(uncached.verify(jwt)))
    const sequentialChecks = checked[path] - before
    const sequentialOffThread = checkedOffThread - beforeSequential
    // One at a time, node:crypto checks on this thread (but for a probe of the thread pool now and
    // then, see signature-dispatch.ts), unless the project forces the thread pool.
    if (path === 'node:crypto' && offThreadAlways) expect(sequentialOffThread).toBe(sequentialChecks)
    else expect(sequentialOffThread).toBeLessThan(sequentialChecks / 2)
    const beforeConcurrent = checkedOffThread
    const concurrent = await Promise.all(tokens.map((jwt) => outcome(uncached.verify(jwt))))
    // All at once, node:crypto's checks overlap and go to the thread pool.
    if (path === 'node:crypto')
      expect(checkedOffThread - beforeConcurrent).toBeGreaterThan(accepted(expected))
    const cached = make(10_000)
    const first = []
    const again = []
    for (const jwt of tokens) first.push(await outcome(cached.authenticate(`Bearer ${jwt}`)))
    for (const jwt of tokens) again.push(await outcome(cached.authenticate(`Bearer ${jwt}`)))
    // Each accepted token had its signature checked on this path: one at a time, all at once, cached.
    expect(checked[path] - before).toBeGreaterThanOrEqual(3 * accepted(expected))
    for (const [index, jwt] of tokens.entries()) {
      const want = expected[index]
      for (const got of [sequential[index], concurrent[index], first[index], again[index]]) {
        expect({ jwt, accepted: got !== undefined }).toEqual({ jwt, accepted: want !== undefined })
        if (want !== undefined) expect(got).toEqual(want)
      }
    }
  })
})
