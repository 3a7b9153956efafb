import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { BindingFailure, type BindingFailureReason } from '../../src/policy/binding-failure.js'
import { normaliseHtu } from '../../src/request/dpop-htu.js'
import { createDpopNonces } from '../../src/request/dpop-nonce.js'
import {
  createDpopProofVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopProofPolicy,
} from '../../src/request/dpop-proof.js'
import { createDpopKey, type DpopKey } from '../helpers/dpop.js'
import { b64url } from '../helpers/local-keys.js'

const NOW = 1_900_000_000 // seconds; a frozen clock
const URL = 'https://orders.example.com/v1/orders'
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'
const request = { method: 'POST', url: URL, token: TOKEN, iat: NOW }
const context = { method: 'POST', htu: normaliseHtu(URL) as string, accessToken: TOKEN, now: NOW * 1000 }
const SECRET = 'thirty-two bytes or more of nonce secret'

let keys: Record<string, DpopKey>
let es256: DpopKey

beforeAll(async () => {
  const algs = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'RS256']
  keys = Object.fromEntries(
    await Promise.all(algs.map(async (alg) => [alg, await createDpopKey(alg)] as const)),
  )
  es256 = keys.ES256 as DpopKey
})

function verifier(policy: Partial<DpopProofPolicy> = {}) {
  return createDpopProofVerifier({
    algorithms: new Set(DEFAULT_DPOP_ALGORITHMS),
    proofMaxAge: 300,
    clockTolerance: 5,
    nonces: undefined,
    ...policy,
  })
}

async function refusal(
  proof: string | Promise<string>,
  policy: Partial<DpopProofPolicy> = {},
  ctx = context,
) {
  try {
    await verifier(policy).verify(await proof, ctx)
  } catch (error) {
    expect(error).toBeInstanceOf(BindingFailure)
    return error as BindingFailure
  }
  throw new Error('the proof was accepted')
}

async function expectRefused(
  proof: string | Promise<string>,
  reason: BindingFailureReason,
  policy: Partial<DpopProofPolicy> = {},
  ctx = context,
) {
  const failure = await refusal(proof, policy, ctx)
  expect(failure.reason).toBe(reason)
  expect(failure.code).toBe(reason === 'dpop_nonce_required' ? 'use_dpop_nonce' : 'invalid_dpop_proof')
  return failure
}

describe('valid proofs', () => {
  it.each(['ES256', 'EdDSA', 'PS256', 'RS256'])(
    '%s (a default algorithm) verifies, giving the key thumbprint',
    async (alg) => {
      const key = keys[alg] as DpopKey
      const proof = await key.proof(request, { jti: 'one' })
      const verified = await verifier().verify(proof, context)
      // Kept past the last accepted instant (NOW + 305 s), by the clock tolerance again (5 s) and a 5 s margin.
      expect(verified).toEqual({ jkt: key.jkt, jti: 'one', expiresAt: (NOW + 315) * 1000 + 1 })
    },
  )

  it('ES384 and ES512 verify when allowed', async () => {
    const policy = { algorithms: new Set(['ES384', 'ES512']) }
    for (const alg of ['ES384', 'ES512']) {
      const key = keys[alg] as DpopKey
      expect((await verifier(policy).verify(await key.proof(request), context)).jkt).toBe(key.jkt)
    }
  })

  it('htu is compared after normalisation', async () => {
    const proof = await es256.proof({ ...request, url: 'HTTPS://Orders.Example.com:443/v1/%6Frders?x=1#y' })
    expect((await verifier().verify(proof, context)).jkt).toBe(es256.jkt)
  })

  it('a proof up to the clock tolerance in the future, and up to proofMaxAge + tolerance old, passes', async () => {
    await verifier().verify(await es256.proof({ ...request, iat: NOW + 5 }), context)
    await verifier().verify(await es256.proof({ ...request, iat: NOW - 305 }), context)
  })

  it('the same key verifies again from the key cache, and a forged proof with that key still fails', async () => {
    const proofs = verifier()
    await proofs.verify(await es256.proof(request), context)
    await proofs.verify(await es256.proof(request), context)
    const forged = await es256.proof(request)
    const tampered = `${forged.slice(0, forged.lastIndexOf('.'))}.${b64url('x'.repeat(64))}`
    const failure = await proofs.verify(tampered, context).catch((error: unknown) => error)
    expect((failure as BindingFailure).reason).toBe('dpop_signature_invalid')
  })
})

describe('the proof-key cache', () => {
  it('keeps the key of a proof that matches its token, once, and checks every later proof in full', async () => {
    const proofs = verifier()
    const bound = { ...context, boundJkt: es256.jkt }
    await proofs.verify(await es256.proof(request), bound)
    await proofs.verify(await es256.proof(request), bound)
    expect(proofs.cachedKeys).toBe(1)
    const forged = await es256.proof(request)
    const tampered = `${forged.slice(0, forged.lastIndexOf('.'))}.${b64url('x'.repeat(64))}`
    const reasonOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'accepted',
        (error: BindingFailure) => error.reason,
      )
    expect(await reasonOf(proofs.verify(tampered, bound))).toBe('dpop_signature_invalid')
    const wrongMethod = await es256.proof(request, { htm: 'GET' })
    expect(await reasonOf(proofs.verify(wrongMethod, bound))).toBe('dpop_method_mismatch')
  })

  it('keeps nothing for a proof signed by a key its token does not name, or a forged one', async () => {
    const proofs = verifier()
    const other = await createDpopKey('ES256')
    await proofs.verify(await other.proof(request), { ...context, boundJkt: es256.jkt })
    await proofs.verify(await es256.proof(request), context)
    const forged = await es256.proof(request)
    const tampered = `${forged.slice(0, forged.lastIndexOf('.'))}.${b64url('x'.repeat(64))}`
    await proofs.verify(tampered, { ...context, boundJkt: es256.jkt }).catch(() => undefined)
    expect(proofs.cachedKeys).toBe(0)
  })

  it('clients taking turns: each proof is checked with its own remembered key', async () => {
    const proofs = verifier()
    const other = await createDpopKey('ES256')
    for (const holder of [es256, other, es256, other, other, es256]) {
      const verified = await proofs.verify(await holder.proof(request), { ...context, boundJkt: holder.jkt })
      expect(verified.jkt).toBe(holder.jkt)
    }
    expect(proofs.cachedKeys).toBe(2)
    // The header (and so the key) of the last client, with the other client's signature.
    const mine = await es256.proof(request)
    const theirs = await other.proof(request)
    const spliced = `${mine.slice(0, mine.lastIndexOf('.'))}${theirs.slice(theirs.lastIndexOf('.'))}`
    const failure = await proofs
      .verify(spliced, { ...context, boundJkt: es256.jkt })
      .catch((error: unknown) => error)
    expect((failure as BindingFailure).reason).toBe('dpop_signature_invalid')
  })

  it('is bounded: a thousand and more keys keep at most a thousand', async () => {
    const proofs = verifier()
    for (let index = 0; index < 1_010; index++) {
      const key = await createDpopKey('ES256')
      await proofs.verify(await key.proof(request), { ...context, boundJkt: key.jkt })
    }
    expect(proofs.cachedKeys).toBe(1_000)
  })

  it("a remembered key proving another token is held to that token's ath", async () => {
    const proofs = verifier()
    const bound = { ...context, boundJkt: es256.jkt }
    await proofs.verify(await es256.proof(request), bound)
    const other = { ...bound, accessToken: `${TOKEN}x` }
    const failure = await proofs.verify(await es256.proof(request), other).catch((error: unknown) => error)
    expect((failure as BindingFailure).reason).toBe('dpop_ath_mismatch')
    await proofs.verify(await es256.proof({ ...request, token: other.accessToken }), other)
    const again = await proofs.verify(await es256.proof(request), other).catch((error: unknown) => error)
    expect((again as BindingFailure).reason).toBe('dpop_ath_mismatch')
  })
})

describe('cheap checks come before the signature', () => {
  const unsigned = (header: unknown, payload: unknown = { jti: 'x', htm: 'POST', htu: URL, iat: NOW }) =>
    `${b64url(header)}.${b64url(payload)}.${b64url('not a signature')}`

  it('refuses an oversized proof unread', async () => {
    await expectRefused(`${'a'.repeat(8200)}.b.c`, 'dpop_proof_too_large')
  })

  it.each([
    ['not a JWS', 'just-text'],
    ['a JWE-shaped value', 'a.b.c.d.e'],
    ['non-canonical base64url', 'eyJhbGciOiJFUzI1NiJ9B.e30.c2ln'],
    ['an empty segment', 'a..c'],
  ])('refuses %s', async (_name, proof) => {
    await expectRefused(proof, 'dpop_proof_malformed')
  })

  it.each([
    ['a header that is not JSON', `${b64url('{not json')}.e30.c2ln`],
    ['a header that is an array', `${b64url([1])}.e30.c2ln`],
  ])('refuses %s', async (_name, proof) => {
    await expectRefused(proof, 'dpop_proof_malformed')
  })

  it.each([
    ['no typ', { typ: undefined }],
    ['typ JWT', { typ: 'JWT' }],
    ['typ at+jwt', { typ: 'at+jwt' }],
  ])('refuses %s', async (_name, header) => {
    await expectRefused(es256.proof(request, {}, header), 'dpop_proof_malformed')
  })

  it.each(['none', 'HS256', 'HS512', 'ES384', 'RS512', 'dir', ''])(
    'refuses alg %s by default',
    async (alg) => {
      await expectRefused(
        unsigned({ typ: 'dpop+jwt', alg, jwk: es256.publicJwk }),
        'dpop_algorithm_not_allowed',
      )
    },
  )

  it('refuses alg RS256 when the allowlist leaves it out', async () => {
    await expectRefused((keys.RS256 as DpopKey).proof(request), 'dpop_algorithm_not_allowed', {
      algorithms: new Set(['ES256']),
    })
  })

  it.each(['jku', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'kid', 'crit', 'b64'])(
    'refuses a %s header',
    async (name) => {
      const value = name === 'crit' ? ['exp'] : name === 'b64' ? true : 'value'
      await expectRefused(
        unsigned({ typ: 'dpop+jwt', alg: 'ES256', jwk: es256.publicJwk, [name]: value }),
        'dpop_proof_malformed',
      )
    },
  )

  it('refuses a proof without jwk, and with a private jwk (a real private key)', async () => {
    await expectRefused(unsigned({ typ: 'dpop+jwt', alg: 'ES256' }), 'dpop_key_invalid')
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    const proof = await new SignJWT({ jti: 'x', htm: 'POST', htu: URL, iat: NOW })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: privateJwk })
      .sign(privateKey)
    const failure = await expectRefused(proof, 'dpop_key_invalid')
    expect(failure.description).toBe("DPoP proof 'jwk' header carries private key material")
  })

  it('refuses a symmetric jwk', async () => {
    await expectRefused(
      unsigned({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }),
      'dpop_key_invalid',
    )
  })
})

describe('the signature', () => {
  it('refuses a proof signed by another key than its jwk', async () => {
    const other = await createDpopKey('ES256')
    const proof = await new SignJWT({ jti: 'x', htm: 'POST', htu: URL, iat: NOW, ath: 'x' })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: es256.publicJwk })
      .sign(other.privateKey)
    await expectRefused(proof, 'dpop_signature_invalid')
  })

  it('refuses a jwk whose point is not on the curve', async () => {
    const jwk = { ...es256.publicJwk, y: es256.publicJwk.x }
    await expectRefused(es256.proof(request, {}, { jwk }), 'dpop_signature_invalid')
  })

  it('refuses a changed payload', async () => {
    const proof = await es256.proof(request)
    const [header, , signature] = proof.split('.')
    const payload = b64url({ jti: 'y', htm: 'POST', htu: URL, iat: NOW })
    await expectRefused(`${header}.${payload}.${signature}`, 'dpop_signature_invalid')
  })
})

describe('claims', () => {
  it.each([
    ['no jti', { jti: undefined }, 'dpop_claim_invalid'],
    ['an empty jti', { jti: '' }, 'dpop_claim_invalid'],
    ['a numeric jti', { jti: 7 }, 'dpop_claim_invalid'],
    ['a huge jti', { jti: 'j'.repeat(257) }, 'dpop_claim_invalid'],
    ['no htm', { htm: undefined }, 'dpop_claim_invalid'],
    ['another method', { htm: 'GET' }, 'dpop_method_mismatch'],
    ['a lower-case method', { htm: 'post' }, 'dpop_method_mismatch'],
    ['no htu', { htu: undefined }, 'dpop_claim_invalid'],
    ['another path', { htu: 'https://orders.example.com/v1/orders/7' }, 'dpop_url_mismatch'],
    ['another host', { htu: 'https://evil.example.com/v1/orders' }, 'dpop_url_mismatch'],
    ['another scheme', { htu: 'http://orders.example.com/v1/orders' }, 'dpop_url_mismatch'],
    ['another port', { htu: 'https://orders.example.com:8443/v1/orders' }, 'dpop_url_mismatch'],
    ['a relative htu', { htu: '/v1/orders' }, 'dpop_url_mismatch'],
    ['no iat', { iat: undefined }, 'dpop_claim_invalid'],
    ['a string iat', { iat: String(NOW) }, 'dpop_claim_invalid'],
    ['an iat beyond the clock tolerance ahead', { iat: NOW + 6 }, 'dpop_proof_issued_in_future'],
    ['an iat older than proofMaxAge + tolerance', { iat: NOW - 306 }, 'dpop_proof_expired'],
    ['no ath', { ath: undefined }, 'dpop_ath_mismatch'],
    ['the ath of another token', { ath: 'o8Hv3U4D1cFRcjG7tH4BHBm2b8xOWbZgD1M0F4mZs3c' }, 'dpop_ath_mismatch'],
  ] as const)('refuses %s', async (_name, claims, reason) => {
    await expectRefused(es256.proof(request, claims), reason)
  })

  it('a shorter proofMaxAge refuses sooner', async () => {
    await expectRefused(es256.proof({ ...request, iat: NOW - 61 }), 'dpop_proof_expired', { proofMaxAge: 55 })
  })

  it('refuses a payload without any claims', async () => {
    const proof = await new SignJWT({})
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: es256.publicJwk })
      .sign(es256.privateKey)
    await expectRefused(proof, 'dpop_claim_invalid')
  })
})

describe('server nonces', () => {
  const nonces = createDpopNonces({ secret: SECRET, clock: () => NOW * 1000 })

  it('a proof with the current nonce passes', async () => {
    const proof = await es256.proof(request, { nonce: nonces.current() })
    expect((await verifier({ nonces }).verify(proof, context)).jkt).toBe(es256.jkt)
  })

  it.each([
    ['no nonce', undefined, 'DPoP proof needs a nonce'],
    [
      'a stale nonce',
      createDpopNonces({ secret: SECRET, clock: () => (NOW - 180) * 1000 }).current(),
      'DPoP proof nonce is not current',
    ],
    ['a made-up nonce', 'AAAAAAAAAAAAAAAAAAAAAA', 'DPoP proof nonce is not current'],
  ])('%s gets use_dpop_nonce', async (_name, nonce, description) => {
    const failure = await expectRefused(es256.proof(request, { nonce }), 'dpop_nonce_required', { nonces })
    expect(failure.description).toBe(description)
  })

  it('a forged proof with a valid nonce is refused for its signature, not its nonce', async () => {
    const proof = await es256.proof(request, { nonce: nonces.current() })
    await expectRefused(`${proof.slice(0, -4)}AAAA`, 'dpop_signature_invalid', { nonces })
  })
})

describe('hostile input', () => {
  it('only ever rejects with BindingFailure', async () => {
    const samples = [
      '',
      '...',
      'a.b.c',
      `${b64url({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 1, y: [] } })}.e30.AA`,
      `${b64url({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...es256.publicJwk, x: 'A'.repeat(43) } })}.e30.AA`,
      `${b64url({ typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: 'A'.repeat(342), e: 'AQAB' } })}.e30.AA`,
      `${b64url({ typ: 'dpop+jwt', alg: 'toString', jwk: es256.publicJwk })}.e30.AA`,
      `${b64url({ typ: 'dpop+jwt', alg: '__proto__', jwk: es256.publicJwk })}.e30.AA`,
      `${Buffer.from([0xff, 0xfe]).toString('base64url')}.e30.AA`,
    ]
    for (const proof of samples) await refusal(proof)
  })
})
