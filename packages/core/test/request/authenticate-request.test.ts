import { beforeAll, describe, expect, it } from 'vitest'
import { dpopNonceFor } from '../../src/adapter.js'
import {
  AuthError,
  type AuthErrorReason,
  createMemoryReplayStore,
  createVerifier,
  type RequestInfo,
  type Verifier,
  type VerifierEvent,
  type VerifierOptions,
} from '../../src/index.js'
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js'
import { createDpopKey, type DpopKey } from '../helpers/dpop.js'
import { AUDIENCE, createSigner, ISSUER, type Signer, validClaims } from '../helpers/local-keys.js'

const NOW = 1_900_000_000 // seconds; a frozen clock
const URL = 'https://orders.example.com/orders?page=1'
const SECRET = 'nonce secret of at least thirty-two bytes!'
const ALGS = 'ES256 EdDSA PS256 RS256'

let signer: Signer
let key: DpopKey
let thief: DpopKey
let client: TestCertificate
let other: TestCertificate

beforeAll(async () => {
  signer = await createSigner('ES256')
  key = await createDpopKey('ES256')
  thief = await createDpopKey('ES256')
  client = makeCertificate('billing')
  other = makeCertificate('someone else')
})

let now = NOW * 1000
function verifierFor(options: Partial<VerifierOptions> = {}, events: VerifierEvent[] = []): Verifier {
  now = NOW * 1000
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [signer.publicJwk] },
    clock: () => now,
    onEvent: (event) => events.push(event),
    ...options,
  })
}

const token = (claims: Record<string, unknown> = {}) => signer.sign({ ...validClaims(NOW), ...claims })
const dpopToken = (jkt = key.jkt) => token({ cnf: { jkt } })

function request(headers: Record<string, string | string[]>, extra: Partial<RequestInfo> = {}): RequestInfo {
  return { method: 'GET', url: URL, headers, ...extra }
}

async function dpopRequest(
  accessToken: string,
  signerKey = key,
  claims: Record<string, unknown> = {},
  extra = {},
) {
  const proof = await signerKey.proof({ method: 'GET', url: URL, token: accessToken, iat: NOW }, claims)
  return request({ authorization: `DPoP ${accessToken}`, dpop: proof }, extra)
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const outcome = await promise.then(
    () => new Error('accepted'),
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(AuthError)
  return outcome as AuthError
}

async function expectRefused(
  promise: Promise<unknown>,
  expected: { status: number; reason: AuthErrorReason; challenge: string; nonce?: boolean },
) {
  const error = await refusal(promise)
  expect({ status: error.status, reason: error.reason, challenge: error.wwwAuthenticate }).toEqual({
    status: expected.status,
    reason: expected.reason,
    challenge: expected.challenge.replace('{description}', error.description),
  })
  expect('DPoP-Nonce' in error.headers).toBe(expected.nonce === true)
  return error
}

describe('no binding configured', () => {
  it('a plain Bearer request passes through authenticateRequest', async () => {
    const verifier = verifierFor()
    const auth = await verifier.authenticateRequest(request({ authorization: `Bearer ${await token()}` }))
    expect(auth.clientId).toBe('billing')
    expect(auth.binding).toBeUndefined()
  })

  it('a DPoP-bound token is refused as Bearer, and the DPoP scheme is not accepted', async () => {
    const verifier = verifierFor()
    const bound = await dpopToken()
    await expectRefused(verifier.authenticateRequest(request({ authorization: `Bearer ${bound}` })), {
      status: 401,
      reason: 'dpop_not_accepted',
      challenge: 'Bearer error="invalid_token", error_description="{description}"',
    })
    await expectRefused(verifier.authenticate(`Bearer ${bound}`), {
      status: 401,
      reason: 'dpop_not_accepted',
      challenge: 'Bearer error="invalid_token", error_description="{description}"',
    })
    await expectRefused(verifier.authenticateRequest(await dpopRequest(bound)), {
      status: 401,
      reason: 'unsupported_scheme',
      challenge: 'Bearer',
    })
  })

  it('a certificate-bound token is refused, also from the cache', async () => {
    const verifier = verifierFor()
    const bound = await token({ cnf: { 'x5t#S256': client.thumbprint } })
    for (let attempt = 0; attempt < 2; attempt++) {
      await expectRefused(
        verifier.authenticateRequest(
          request({ authorization: `Bearer ${bound}` }, { clientCertificate: client.der }),
        ),
        {
          status: 401,
          reason: 'certificate_binding_not_accepted',
          challenge: 'Bearer error="invalid_token", error_description="{description}"',
        },
      )
    }
  })

  it('several Authorization headers are a malformed request', async () => {
    const value = `Bearer ${await token()}`
    await expectRefused(verifierFor().authenticateRequest(request({ authorization: [value, value] })), {
      status: 400,
      reason: 'malformed_authorization',
      challenge: 'Bearer error="invalid_request", error_description="{description}"',
    })
  })
})

describe('dpop: {} (Bearer and DPoP accepted)', () => {
  it('a DPoP-bound token with a proof of its key passes, with its binding', async () => {
    const verifier = verifierFor({ dpop: {} })
    const bound = await dpopToken()
    const auth = await verifier.authenticateRequest(await dpopRequest(bound), { scopes: ['orders:read'] })
    expect(auth.binding).toEqual({ method: 'dpop', jkt: key.jkt })
    // Reused token, new proof: from the cache, the proof still checked.
    expect((await verifier.authenticateRequest(await dpopRequest(bound))).binding).toEqual({
      method: 'dpop',
      jkt: key.jkt,
    })
  })

  it('Bearer tokens still pass, and every challenge names both schemes', async () => {
    const verifier = verifierFor({ dpop: {} })
    expect(
      (await verifier.authenticateRequest(request({ authorization: `Bearer ${await token()}` }))).binding,
    ).toBeUndefined()
    await expectRefused(verifier.authenticateRequest(request({})), {
      status: 401,
      reason: 'missing_token',
      challenge: `Bearer, DPoP algs="${ALGS}"`,
    })
    await expectRefused(
      verifier.authenticateRequest(request({ authorization: `Bearer ${await token({ exp: NOW - 60 })}` })),
      {
        status: 401,
        reason: 'token_expired',
        challenge: `Bearer error="invalid_token", error_description="{description}", DPoP algs="${ALGS}"`,
      },
    )
    await expectRefused(
      verifier.authenticateRequest(request({ authorization: `Bearer ${await token()}` }), {
        scopes: ['admin'],
      }),
      {
        status: 403,
        reason: 'insufficient_scope',
        challenge: `Bearer error="insufficient_scope", error_description="{description}", scope="admin", DPoP algs="${ALGS}"`,
      },
    )
  })

  it('a DPoP-bound token sent as Bearer is refused, even with a proof beside it', async () => {
    const verifier = verifierFor({ dpop: {} })
    const bound = await dpopToken()
    const withProof = await dpopRequest(bound)
    const asBearer = request({
      ...(withProof.headers as Record<string, string>),
      authorization: `Bearer ${bound}`,
    })
    await expectRefused(verifier.authenticateRequest(asBearer), {
      status: 401,
      reason: 'dpop_token_as_bearer',
      challenge: `Bearer error="invalid_token", error_description="{description}", DPoP algs="${ALGS}"`,
    })
    await expectRefused(verifier.authenticate(`Bearer ${bound}`), {
      status: 401,
      reason: 'dpop_token_as_bearer',
      challenge: `Bearer error="invalid_token", error_description="{description}", DPoP algs="${ALGS}"`,
    })
  })

  it.each([
    ['no proof', async (bound: string) => request({ authorization: `DPoP ${bound}` }), 'dpop_proof_missing'],
    [
      'a proof for another method',
      async (bound: string) => ({ ...(await dpopRequest(bound)), method: 'POST' }),
      'dpop_method_mismatch',
    ],
    [
      'a proof for another URL',
      async (bound: string) => ({ ...(await dpopRequest(bound)), url: 'https://orders.example.com/admin' }),
      'dpop_url_mismatch',
    ],
    [
      'a proof for another token',
      async (bound: string) => {
        const proof = await key.proof({ method: 'GET', url: URL, token: 'another.token.value', iat: NOW })
        return request({ authorization: `DPoP ${bound}`, dpop: proof })
      },
      'dpop_ath_mismatch',
    ],
    [
      'a stale proof',
      async (bound: string) => dpopRequest(bound, key, { iat: NOW - 400 }),
      'dpop_proof_expired',
    ],
  ] as const)('%s is invalid_dpop_proof', async (_name, make, reason) => {
    const verifier = verifierFor({ dpop: {} })
    await expectRefused(verifier.authenticateRequest(await make(await dpopToken())), {
      status: 401,
      reason,
      challenge: `Bearer, DPoP error="invalid_dpop_proof", error_description="{description}", algs="${ALGS}"`,
    })
  })

  it('a proof of another key (a stolen token) is invalid_token on the DPoP challenge', async () => {
    const verifier = verifierFor({ dpop: {} })
    await expectRefused(verifier.authenticateRequest(await dpopRequest(await dpopToken(), thief)), {
      status: 401,
      reason: 'dpop_key_mismatch',
      challenge: `Bearer, DPoP error="invalid_token", error_description="{description}", algs="${ALGS}"`,
    })
  })

  it('an unbound token with the DPoP scheme is invalid_token', async () => {
    await expectRefused(verifierFor({ dpop: {} }).authenticateRequest(await dpopRequest(await token())), {
      status: 401,
      reason: 'dpop_token_not_bound',
      challenge: `Bearer, DPoP error="invalid_token", error_description="{description}", algs="${ALGS}"`,
    })
  })

  it('a malformed Authorization carries its error on the challenge of the scheme it names', async () => {
    const verifier = verifierFor({ dpop: {} })
    await expectRefused(verifier.authenticateRequest(request({ authorization: 'DPoP a b' })), {
      status: 400,
      reason: 'malformed_authorization',
      challenge: `Bearer, DPoP error="invalid_request", error_description="{description}", algs="${ALGS}"`,
    })
    await expectRefused(verifier.authenticateRequest(request({ authorization: 'Bearer a b' })), {
      status: 400,
      reason: 'malformed_authorization',
      challenge: `Bearer error="invalid_request", error_description="{description}", DPoP algs="${ALGS}"`,
    })
    // "DPoPx" is another scheme, not a malformed DPoP one.
    await expectRefused(verifier.authenticateRequest(request({ authorization: 'DPoPx a' })), {
      status: 401,
      reason: 'unsupported_scheme',
      challenge: `Bearer, DPoP algs="${ALGS}"`,
    })
  })

  it('a replayed proof is refused within one instance (memory store)', async () => {
    const verifier = verifierFor({ dpop: {} })
    const replayed = await dpopRequest(await dpopToken())
    await verifier.authenticateRequest(replayed)
    await expectRefused(verifier.authenticateRequest(replayed), {
      status: 401,
      reason: 'dpop_proof_replayed',
      challenge: `Bearer, DPoP error="invalid_dpop_proof", error_description="{description}", algs="${ALGS}"`,
    })
  })

  it('a replay is refused up to the last instant the proof passes; after it, the proof is too old', async () => {
    const verifier = verifierFor({ dpop: {} })
    const replayed = await dpopRequest(await token({ cnf: { jkt: key.jkt }, exp: NOW + 3600 }))
    await verifier.authenticateRequest(replayed)
    // The last millisecond the proof's iat allows (proofMaxAge 300 s + tolerance 5 s).
    now = (NOW + 305) * 1000
    expect((await refusal(verifier.authenticateRequest(replayed))).reason).toBe('dpop_proof_replayed')
    now += 1
    expect((await refusal(verifier.authenticateRequest(replayed))).reason).toBe('dpop_proof_expired')
  })

  it('with no clock tolerance, a replay is refused though the store records it a moment after the time check', async () => {
    const replayStore = createMemoryReplayStore({ clock: () => now + 1_000 })
    const verifier = verifierFor({ clockTolerance: 0, dpop: { replayStore } })
    const replayed = await dpopRequest(await token({ cnf: { jkt: key.jkt }, exp: NOW + 3600 }))
    await verifier.authenticateRequest(replayed)
    now = (NOW + 300) * 1000 // the last instant proofMaxAge allows; the store looks 1 s later
    expect((await refusal(verifier.authenticateRequest(replayed))).reason).toBe('dpop_proof_replayed')
  })

  it('a shared store refuses a replay at an instance whose clock runs behind, within the tolerance', async () => {
    let realNow = NOW * 1000
    const replayStore = createMemoryReplayStore({ clock: () => realNow })
    const instance = (skew: number) =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [signer.publicJwk] },
        clock: () => realNow - skew,
        dpop: { replayStore },
      })
    const accurate = instance(0)
    const behind = instance(4_000)
    const replayed = await dpopRequest(await token({ cnf: { jkt: key.jkt }, exp: NOW + 3600 }))
    await accurate.authenticateRequest(replayed)
    // 309 s on: too old for the accurate instance, still in time for the one 4 s behind.
    realNow = (NOW + 309) * 1000
    expect((await refusal(accurate.authenticateRequest(replayed))).reason).toBe('dpop_proof_expired')
    expect((await refusal(behind.authenticateRequest(replayed))).reason).toBe('dpop_proof_replayed')
  })

  it('the replay store failing answers 503, never admits, and is reported', async () => {
    const events: VerifierEvent[] = []
    const replayStore = {
      claim: () => {
        throw new Error('redis down')
      },
    }
    const verifier = verifierFor({ dpop: { replayStore } }, events)
    const error = await refusal(verifier.authenticateRequest(await dpopRequest(await dpopToken())))
    expect([error.status, error.reason, error.wwwAuthenticate, error.retryAfter]).toEqual([
      503,
      'replay_store_unavailable',
      undefined,
      1,
    ])
    expect(error.body).toEqual({ error: 'temporarily_unavailable', error_description: error.description })
    expect(events.filter((event) => event.type === 'replay_store_failed')).toHaveLength(1)
  })

  it('a forged proof never reaches the replay store', async () => {
    const claims: string[] = []
    const replayStore = {
      claim(id: string) {
        claims.push(id)
        return true
      },
    }
    const verifier = verifierFor({ dpop: { replayStore } })
    const forged = await dpopRequest(await dpopToken())
    const headers = forged.headers as Record<string, string>
    forged.headers = { ...headers, dpop: `${(headers.dpop as string).slice(0, -8)}AAAAAAAA` }
    await refusal(verifier.authenticateRequest(forged))
    await refusal(verifier.authenticateRequest(await dpopRequest(await dpopToken(), thief)))
    expect(claims).toEqual([])
  })

  it('a route requirement is checked after the binding, challenged on DPoP', async () => {
    const verifier = verifierFor({ dpop: {} })
    await expectRefused(
      verifier.authenticateRequest(await dpopRequest(await dpopToken()), { scopes: ['admin'] }),
      {
        status: 403,
        reason: 'insufficient_scope',
        challenge: `Bearer, DPoP error="insufficient_scope", error_description="{description}", scope="admin", algs="${ALGS}"`,
      },
    )
  })

  it('authorize() with the result of an earlier guard on the same request only checks the requirement', async () => {
    const verifier = verifierFor({ dpop: {} })
    const first = await dpopRequest(await dpopToken())
    const auth = await verifier.authorize(first, undefined, undefined)
    expect(await verifier.authorize(first, { scopes: ['orders:read'] }, auth)).toBe(auth)
  })
})

describe('with RFC 9728 resource metadata', () => {
  it('every challenge, Bearer and DPoP, names the metadata URL', async () => {
    const verifier = verifierFor({ dpop: {}, resourceMetadata: { resource: 'https://orders.example.com' } })
    const url = 'https://orders.example.com/.well-known/oauth-protected-resource'
    await expectRefused(verifier.authenticateRequest(request({})), {
      status: 401,
      reason: 'missing_token',
      challenge: `Bearer resource_metadata="${url}", DPoP resource_metadata="${url}", algs="${ALGS}"`,
    })
    await expectRefused(verifier.authenticateRequest(await dpopRequest(await dpopToken(), thief)), {
      status: 401,
      reason: 'dpop_key_mismatch',
      challenge: `Bearer resource_metadata="${url}", DPoP error="invalid_token", error_description="{description}", resource_metadata="${url}", algs="${ALGS}"`,
    })
  })
})

describe('dpop: { required: true }', () => {
  it('refuses Bearer with a DPoP-only challenge, and accepts DPoP', async () => {
    const verifier = verifierFor({ dpop: { required: true, algorithms: ['ES256'] } })
    await expectRefused(verifier.authenticateRequest(request({ authorization: `Bearer ${await token()}` })), {
      status: 401,
      reason: 'dpop_required',
      challenge: 'DPoP algs="ES256"',
    })
    await expectRefused(verifier.authenticate(`Bearer ${await token()}`), {
      status: 401,
      reason: 'dpop_required',
      challenge: 'DPoP algs="ES256"',
    })
    await expectRefused(verifier.authenticateRequest(request({})), {
      status: 401,
      reason: 'missing_token',
      challenge: 'DPoP algs="ES256"',
    })
    const auth = await verifier.authenticateRequest(await dpopRequest(await dpopToken()))
    expect(auth.binding).toEqual({ method: 'dpop', jkt: key.jkt })
  })

  it('a malformed DPoP Authorization carries its error on the DPoP challenge (RFC 9449 §7.2)', async () => {
    const verifier = verifierFor({ dpop: { required: true, algorithms: ['ES256'] } })
    for (const authorization of ['DPoP a b', 'dpop', '  DPoP  a*b']) {
      await expectRefused(verifier.authenticateRequest(request({ authorization })), {
        status: 400,
        reason: 'malformed_authorization',
        challenge: 'DPoP error="invalid_request", error_description="{description}", algs="ES256"',
      })
    }
  })

  it('with a realm, every challenge carries it', async () => {
    const verifier = verifierFor({ realm: 'orders', dpop: { required: true, algorithms: ['ES256'] } })
    await expectRefused(verifier.authenticateRequest(await dpopRequest(await dpopToken(), thief)), {
      status: 401,
      reason: 'dpop_key_mismatch',
      challenge:
        'DPoP realm="orders", error="invalid_token", error_description="{description}", algs="ES256"',
    })
  })
})

describe('server nonces', () => {
  it('round trip: use_dpop_nonce with a DPoP-Nonce, then the retry with it passes; an old one is refused', async () => {
    const verifier = verifierFor({ dpop: { nonce: { secret: SECRET } } })
    const bound = await dpopToken()
    const first = await expectRefused(verifier.authenticateRequest(await dpopRequest(bound)), {
      status: 401,
      reason: 'dpop_nonce_required',
      challenge: `Bearer, DPoP error="use_dpop_nonce", error_description="{description}", algs="${ALGS}"`,
      nonce: true,
    })
    const nonce = first.headers['DPoP-Nonce'] as string
    expect(first.dpopNonce).toBe(nonce)
    const auth = await verifier.authenticateRequest(await dpopRequest(bound, key, { nonce }))
    expect(auth.binding).toEqual({ method: 'dpop', jkt: key.jkt })
    now += 125_000 // two windows on
    const stale = await expectRefused(
      verifier.authenticateRequest(await dpopRequest(bound, key, { nonce, iat: NOW + 125 })),
      {
        status: 401,
        reason: 'dpop_nonce_required',
        challenge: `Bearer, DPoP error="use_dpop_nonce", error_description="{description}", algs="${ALGS}"`,
        nonce: true,
      },
    )
    expect(stale.headers['DPoP-Nonce']).not.toBe(nonce)
  })

  it('RFC 9449 §8.2: a nonce about to age out is accepted, and the request gets the next one to send', async () => {
    const verifier = verifierFor({ dpop: { nonce: { secret: SECRET } } })
    const bound = await dpopToken()
    const first = await refusal(verifier.authenticateRequest(await dpopRequest(bound)))
    const nonce = first.headers['DPoP-Nonce'] as string
    const current = await dpopRequest(bound, key, { nonce })
    await verifier.authenticateRequest(current)
    expect(dpopNonceFor(current)).toBeUndefined() // the nonce of this window: nothing to renew
    now += 60_000 // the next window: the nonce is accepted until it ends
    const ageing = await dpopRequest(bound, key, { nonce, iat: NOW + 60 })
    const auth = await verifier.authenticateRequest(ageing, { scopes: ['orders:read'] })
    expect(auth.binding).toEqual({ method: 'dpop', jkt: key.jkt })
    const next = dpopNonceFor(ageing)
    expect(next).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(next).not.toBe(nonce)
    now += 60_000 // the old nonce is now refused; the one handed out passes, and is renewed in turn
    await refusal(verifier.authenticateRequest(await dpopRequest(bound, key, { nonce, iat: NOW + 120 })))
    const renewed = await dpopRequest(bound, key, { nonce: next, iat: NOW + 120 })
    await verifier.authenticateRequest(renewed)
    expect([dpopNonceFor(renewed) !== undefined, dpopNonceFor(renewed) === next]).toEqual([true, false])
  })

  it('no nonce is noted for a proof that fails, nor without server nonces', async () => {
    const verifier = verifierFor({ dpop: { nonce: { secret: SECRET } } })
    const bound = await dpopToken()
    const nonce = (await refusal(verifier.authenticateRequest(await dpopRequest(bound)))).headers[
      'DPoP-Nonce'
    ] as string
    now += 60_000
    const stolen = await dpopRequest(bound, thief, { nonce, iat: NOW + 60 })
    await refusal(verifier.authenticateRequest(stolen))
    const wrongMethod = await dpopRequest(bound, key, { nonce, iat: NOW + 60, htm: 'POST' })
    await refusal(verifier.authenticateRequest(wrongMethod))
    expect([dpopNonceFor(stolen), dpopNonceFor(wrongMethod)]).toEqual([undefined, undefined])
    const plain = verifierFor({ dpop: {} })
    const request = await dpopRequest(bound)
    await plain.authenticateRequest(request)
    expect(dpopNonceFor(request)).toBeUndefined()
  })

  it('every 401 hands out a nonce; 403 does not', async () => {
    const verifier = verifierFor({ dpop: { nonce: { secret: SECRET } } })
    await expectRefused(verifier.authenticateRequest(request({})), {
      status: 401,
      reason: 'missing_token',
      challenge: `Bearer, DPoP algs="${ALGS}"`,
      nonce: true,
    })
    await expectRefused(
      verifier.authenticateRequest(request({ authorization: `Bearer ${await token()}` }), {
        scopes: ['admin'],
      }),
      {
        status: 403,
        reason: 'insufficient_scope',
        challenge: `Bearer error="insufficient_scope", error_description="{description}", scope="admin", DPoP algs="${ALGS}"`,
      },
    )
  })
})

describe('mtls', () => {
  const bound = () => token({ cnf: { 'x5t#S256': client.thumbprint } })

  it('a certificate-bound token passes with its certificate from the socket', async () => {
    const verifier = verifierFor({ mtls: {} })
    const auth = await verifier.authenticateRequest(
      request({ authorization: `Bearer ${await bound()}` }, { clientCertificate: client.der }),
    )
    expect(auth.binding).toEqual({ method: 'mtls', thumbprint: client.thumbprint })
  })

  it('another certificate, none, or the token without its request are refused', async () => {
    const verifier = verifierFor({ mtls: {} })
    const value = `Bearer ${await bound()}`
    await expectRefused(
      verifier.authenticateRequest(request({ authorization: value }, { clientCertificate: other.der })),
      {
        status: 401,
        reason: 'certificate_mismatch',
        challenge: 'Bearer error="invalid_token", error_description="{description}"',
      },
    )
    await expectRefused(verifier.authenticateRequest(request({ authorization: value })), {
      status: 401,
      reason: 'certificate_missing',
      challenge: 'Bearer error="invalid_token", error_description="{description}"',
    })
    await expectRefused(verifier.authenticate(value), {
      status: 401,
      reason: 'certificate_missing',
      challenge: 'Bearer error="invalid_token", error_description="{description}"',
    })
  })

  it('a proxy header that does not parse is certificate_missing, with an event saying why', async () => {
    const events: VerifierEvent[] = []
    const verifier = verifierFor({ mtls: { certificate: 'x-ssl-client-cert' } }, events)
    await expectRefused(
      verifier.authenticateRequest(
        request({ authorization: `Bearer ${await bound()}`, 'x-ssl-client-cert': 'junk' }),
      ),
      {
        status: 401,
        reason: 'certificate_missing',
        challenge: 'Bearer error="invalid_token", error_description="{description}"',
      },
    )
    expect(events.find((event) => event.type === 'client_certificate_unreadable')).toEqual({
      type: 'client_certificate_unreadable',
      why: 'x-ssl-client-cert: no PEM certificate block',
    })
    const ok = request({
      authorization: `Bearer ${await bound()}`,
      'x-ssl-client-cert': encodeURIComponent(client.pem),
    })
    expect((await verifier.authenticateRequest(ok)).binding).toEqual({
      method: 'mtls',
      thumbprint: client.thumbprint,
    })
  })

  it('mtls.required refuses unbound tokens', async () => {
    const verifier = verifierFor({ mtls: { required: true } })
    await expectRefused(
      verifier.authenticateRequest(
        request({ authorization: `Bearer ${await token()}` }, { clientCertificate: client.der }),
      ),
      {
        status: 401,
        reason: 'certificate_binding_required',
        challenge: 'Bearer error="invalid_token", error_description="{description}"',
      },
    )
  })

  it('mtls.required refuses a DPoP-bound token too, with a valid proof', async () => {
    const verifier = verifierFor({ dpop: {}, mtls: { required: true } })
    await expectRefused(verifier.authenticateRequest(await dpopRequest(await dpopToken())), {
      status: 401,
      reason: 'certificate_binding_required',
      challenge: `Bearer, DPoP error="invalid_token", error_description="{description}", algs="${ALGS}"`,
    })
  })
})

describe('options', () => {
  it.each([
    [{ dpop: 'yes' }, '"dpop" option must be an object'],
    [{ dpop: { require: true } }, 'unknown option "dpop.require"'],
    [{ dpop: { required: 'true' } }, '"dpop.required" option must be a boolean'],
    [{ dpop: { algorithms: ['HS256'] } }, '"dpop.algorithms" option must be a non-empty list'],
    [{ dpop: { algorithms: ['none'] } }, '"dpop.algorithms" option must be a non-empty list'],
    [{ dpop: { algorithms: [] } }, '"dpop.algorithms" option must be a non-empty list'],
    [{ dpop: { proofMaxAge: 0 } }, '"dpop.proofMaxAge" option must be a number from 1 to 3600'],
    [{ dpop: { proofMaxAge: 86_400 } }, '"dpop.proofMaxAge" option must be a number from 1 to 3600'],
    [
      { dpop: { nonce: { secret: 'short' } } },
      '"dpop.nonce.secret" option must be a string or Uint8Array of at least 32 bytes',
    ],
    [
      { dpop: { nonce: { secret: SECRET, window: -1 } } },
      '"dpop.nonce.window" option must be a number from 1 to 3600',
    ],
    [{ dpop: { nonce: { secret: SECRET, rotate: true } } }, 'unknown option "dpop.nonce.rotate"'],
    [{ dpop: { replayStore: {} } }, '"dpop.replayStore" option must have a claim(id, expiresAt) method'],
    [{ dpop: { replayTimeout: 0 } }, '"dpop.replayTimeout" option must be a number from 1 to 60000'],
    [{ mtls: 'socket' }, '"mtls" option must be an object'],
    [{ mtls: { certificate: 'x-client-certificate' } }, '"mtls.certificate" option must be'],
    [{ mtls: { required: 1 } }, '"mtls.required" option must be a boolean'],
    [{ mtls: { header: 'x' } }, 'unknown option "mtls.header"'],
    [
      { dpop: { required: true }, mtls: { required: true } },
      '"dpop.required" and "mtls.required" options cannot both be true',
    ],
  ])('%j is refused at creation, naming the option', (options, message) => {
    expect(() => verifierFor(options as Partial<VerifierOptions>)).toThrow(TypeError)
    expect(() => verifierFor(options as Partial<VerifierOptions>)).toThrow(message)
  })

  it('dpop: true and mtls: true mean the defaults', async () => {
    const verifier = verifierFor({ dpop: true, mtls: true })
    expect((await verifier.authenticateRequest(await dpopRequest(await dpopToken()))).binding?.method).toBe(
      'dpop',
    )
  })
})
