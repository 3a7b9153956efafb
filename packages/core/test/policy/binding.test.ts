import { beforeAll, describe, expect, it, vi } from 'vitest'
import { type BindingConfig, checkBinding } from '../../src/policy/binding.js'
import {
  BindingFailure,
  type BindingFailureReason,
  ReplayStoreFailure,
} from '../../src/policy/binding-failure.js'
import { createDpopProofVerifier, DEFAULT_DPOP_ALGORITHMS } from '../../src/request/dpop-proof.js'
import { createMemoryReplayStore, type ReplayStore } from '../../src/request/dpop-replay-store.js'
import type { RequestInfo } from '../../src/request/request-info.js'
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js'
import { createDpopKey, type DpopKey } from '../helpers/dpop.js'

const NOW = 1_900_000_000
const URL = 'https://orders.example.com/orders?page=1'
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJjbmYiOnt9fQ.c2ln'

let key: DpopKey
let other: DpopKey
let client: TestCertificate
let stranger: TestCertificate

beforeAll(async () => {
  key = await createDpopKey('ES256')
  other = await createDpopKey('ES256')
  client = makeCertificate('billing')
  stranger = makeCertificate('stranger')
})

/** A store that records what reached it. */
function countingStore(inner: ReplayStore = createMemoryReplayStore({ clock: () => NOW * 1000 })) {
  const claims: string[] = []
  return {
    claims,
    store: {
      claim(id: string, expiresAt: number) {
        claims.push(id)
        return inner.claim(id, expiresAt)
      },
    },
  }
}

function config(overrides: Partial<BindingConfig> & { store?: ReplayStore } = {}): BindingConfig {
  const { store, ...rest } = overrides
  return {
    dpop: {
      required: false,
      proofs: createDpopProofVerifier({
        algorithms: new Set(DEFAULT_DPOP_ALGORITHMS),
        proofMaxAge: 300,
        clockTolerance: 5,
        nonces: undefined,
      }),
      nonces: undefined,
      replayStore: store ?? createMemoryReplayStore({ clock: () => NOW * 1000 }),
      replayTimeout: 50,
    },
    mtls: { required: false, certificate: 'socket' },
    ...rest,
  }
}

const request = (headers: RequestInfo['headers'] = {}, clientCertificate?: Uint8Array): RequestInfo => ({
  method: 'GET',
  url: URL,
  headers,
  ...(clientCertificate === undefined ? {} : { clientCertificate }),
})

async function dpopRequest(signer = key, claims: Record<string, unknown> = {}) {
  return request({ dpop: await signer.proof({ method: 'GET', url: URL, token: TOKEN, iat: NOW }, claims) })
}

const jktPayload = () => ({ cnf: { jkt: key.jkt } })
const x5tPayload = () => ({ cnf: { 'x5t#S256': client.thumbprint } })

async function failure(promise: Promise<unknown>): Promise<BindingFailure> {
  const error = await promise.then(
    () => new Error('accepted'),
    (rejection: unknown) => rejection,
  )
  expect(error).toBeInstanceOf(BindingFailure)
  return error as BindingFailure
}

async function expectFailure(
  promise: Promise<unknown>,
  reason: BindingFailureReason,
  code: BindingFailure['code'],
  scheme: 'DPoP' | 'Bearer',
) {
  const error = await failure(promise)
  expect([error.reason, error.code, error.scheme]).toEqual([reason, code, scheme])
}

describe('unbound tokens', () => {
  it('pass as Bearer with no binding', async () => {
    expect(await checkBinding({}, 'Bearer', TOKEN, request(), config(), NOW * 1000)).toBeUndefined()
    expect(await checkBinding({}, 'Bearer', TOKEN, undefined, config(), NOW * 1000)).toBeUndefined()
  })

  it.each([
    ['a string cnf', 'x'],
    ['an array cnf', [{}]],
    ['a null cnf', null],
    ['an unknown binding', { jwk: { kty: 'EC' } }],
    ['a non-string jkt', { jkt: 7 }],
    ['an empty x5t#S256', { 'x5t#S256': '' }],
    ['two bindings', { jkt: 'a', 'x5t#S256': 'b' }],
  ])('refuse %s', async (_name, cnf) => {
    await expectFailure(
      checkBinding({ cnf }, 'Bearer', TOKEN, request(), config(), NOW * 1000),
      'token_binding_invalid',
      'invalid_token',
      'Bearer',
    )
  })
})

describe('DPoP-bound tokens', () => {
  it('pass with a proof of their key, once', async () => {
    const { claims, store } = countingStore()
    const settings = config({ store })
    const withProof = await dpopRequest()
    expect(await checkBinding(jktPayload(), 'DPoP', TOKEN, withProof, settings, NOW * 1000)).toEqual({
      method: 'dpop',
      jkt: key.jkt,
    })
    await expectFailure(
      checkBinding(jktPayload(), 'DPoP', TOKEN, withProof, settings, NOW * 1000),
      'dpop_proof_replayed',
      'invalid_dpop_proof',
      'DPoP',
    )
    expect(claims).toHaveLength(2)
    expect(claims[0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('a proof of another key is invalid_token, and never reaches the store', async () => {
    const { claims, store } = countingStore()
    await expectFailure(
      checkBinding(jktPayload(), 'DPoP', TOKEN, await dpopRequest(other), config({ store }), NOW * 1000),
      'dpop_key_mismatch',
      'invalid_token',
      'DPoP',
    )
    expect(claims).toEqual([])
  })

  it('a forged proof never reaches the store', async () => {
    const { claims, store } = countingStore()
    const forged = (await dpopRequest()).headers as Record<string, string>
    const tampered = request({ dpop: `${(forged.dpop as string).slice(0, -6)}AAAAAA` })
    await expectFailure(
      checkBinding(jktPayload(), 'DPoP', TOKEN, tampered, config({ store }), NOW * 1000),
      'dpop_signature_invalid',
      'invalid_dpop_proof',
      'DPoP',
    )
    expect(claims).toEqual([])
  })

  it('need the proof header, exactly once', async () => {
    await expectFailure(
      checkBinding(jktPayload(), 'DPoP', TOKEN, request(), config(), NOW * 1000),
      'dpop_proof_missing',
      'invalid_dpop_proof',
      'DPoP',
    )
    const proof = ((await dpopRequest()).headers as Record<string, string>).dpop as string
    for (const dpop of [[proof, proof], `${proof}, ${proof}`]) {
      await expectFailure(
        checkBinding(jktPayload(), 'DPoP', TOKEN, request({ dpop }), config(), NOW * 1000),
        'dpop_proof_malformed',
        'invalid_dpop_proof',
        'DPoP',
      )
    }
  })

  it('are never accepted as Bearer', async () => {
    await expectFailure(
      checkBinding(jktPayload(), 'Bearer', TOKEN, await dpopRequest(), config(), NOW * 1000),
      'dpop_token_as_bearer',
      'invalid_token',
      'Bearer',
    )
    await expectFailure(
      checkBinding(jktPayload(), 'Bearer', TOKEN, undefined, config({ dpop: undefined }), NOW * 1000),
      'dpop_not_accepted',
      'invalid_token',
      'Bearer',
    )
  })

  it('the DPoP scheme with an unbound token is invalid_token', async () => {
    await expectFailure(
      checkBinding({}, 'DPoP', TOKEN, await dpopRequest(), config(), NOW * 1000),
      'dpop_token_not_bound',
      'invalid_token',
      'DPoP',
    )
  })
})

describe('the replay store fails closed', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('down'))],
    ['answers nonsense', () => 'OK' as unknown as boolean],
    ['resolves nonsense', () => Promise.resolve(1 as unknown as boolean)],
  ])('when it %s', async (_name, claim) => {
    const error = await checkBinding(
      jktPayload(),
      'DPoP',
      TOKEN,
      await dpopRequest(),
      config({ store: { claim } }),
      NOW * 1000,
    ).then(
      () => new Error('accepted'),
      (rejection: unknown) => rejection,
    )
    expect(error).toBeInstanceOf(ReplayStoreFailure)
  })

  it('when it never answers: 503 once replayTimeout has passed (timers faked)', async () => {
    const withProof = await dpopRequest()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let reached: () => void = () => {}
      const claimed = new Promise<void>((resolve) => {
        reached = resolve
      })
      const store = {
        claim: () => {
          reached()
          return new Promise<boolean>(() => {})
        },
      }
      const outcome = checkBinding(
        jktPayload(),
        'DPoP',
        TOKEN,
        withProof,
        config({ store }),
        NOW * 1000,
      ).then(
        () => 'accepted',
        (rejection: unknown) => rejection,
      )
      await claimed
      await vi.advanceTimersByTimeAsync(49)
      const early = await Promise.race([outcome, Promise.resolve('pending')])
      expect(early).toBe('pending')
      await vi.advanceTimersByTimeAsync(1)
      expect(await outcome).toBeInstanceOf(ReplayStoreFailure)
    } finally {
      vi.useRealTimers()
    }
  })

  it('an async store that answers true or false in time is obeyed', async () => {
    const answers = [true, false]
    const store = { claim: async () => answers.shift() as boolean }
    const settings = config({ store })
    expect(
      await checkBinding(jktPayload(), 'DPoP', TOKEN, await dpopRequest(), settings, NOW * 1000),
    ).toEqual({ method: 'dpop', jkt: key.jkt })
    await expectFailure(
      checkBinding(jktPayload(), 'DPoP', TOKEN, await dpopRequest(), settings, NOW * 1000),
      'dpop_proof_replayed',
      'invalid_dpop_proof',
      'DPoP',
    )
  })
})

describe('certificate-bound tokens', () => {
  it('pass with their certificate', async () => {
    expect(
      await checkBinding(x5tPayload(), 'Bearer', TOKEN, request({}, client.der), config(), NOW * 1000),
    ).toEqual({
      method: 'mtls',
      thumbprint: client.thumbprint,
    })
  })

  it('another certificate is certificate_mismatch; none is certificate_missing', async () => {
    await expectFailure(
      checkBinding(x5tPayload(), 'Bearer', TOKEN, request({}, stranger.der), config(), NOW * 1000),
      'certificate_mismatch',
      'invalid_token',
      'Bearer',
    )
    await expectFailure(
      checkBinding(x5tPayload(), 'Bearer', TOKEN, request(), config(), NOW * 1000),
      'certificate_missing',
      'invalid_token',
      'Bearer',
    )
    await expectFailure(
      checkBinding(x5tPayload(), 'Bearer', TOKEN, undefined, config(), NOW * 1000),
      'certificate_missing',
      'invalid_token',
      'Bearer',
    )
  })

  it('an unreadable proxy header is certificate_missing, and says why', async () => {
    const reasons: string[] = []
    const settings = config({
      mtls: { required: false, certificate: 'client-cert' },
      onUnreadableCertificate: (why) => reasons.push(why),
    })
    await expectFailure(
      checkBinding(
        x5tPayload(),
        'Bearer',
        TOKEN,
        request({ 'client-cert': 'garbage' }),
        settings,
        NOW * 1000,
      ),
      'certificate_missing',
      'invalid_token',
      'Bearer',
    )
    expect(reasons).toEqual(['client-cert: Client-Cert is not a structured-field byte sequence'])
  })

  it('are refused when mTLS is off', async () => {
    await expectFailure(
      checkBinding(
        x5tPayload(),
        'Bearer',
        TOKEN,
        request({}, client.der),
        config({ mtls: undefined }),
        NOW * 1000,
      ),
      'certificate_binding_not_accepted',
      'invalid_token',
      'Bearer',
    )
  })

  it('mtls.required refuses unbound tokens', async () => {
    const settings = config({ mtls: { required: true, certificate: 'socket' } })
    await expectFailure(
      checkBinding({}, 'Bearer', TOKEN, request({}, client.der), settings, NOW * 1000),
      'certificate_binding_required',
      'invalid_token',
      'Bearer',
    )
  })

  it('with the DPoP scheme are not DPoP-bound', async () => {
    await expectFailure(
      checkBinding(x5tPayload(), 'DPoP', TOKEN, await dpopRequest(), config(), NOW * 1000),
      'dpop_token_not_bound',
      'invalid_token',
      'DPoP',
    )
  })
})
