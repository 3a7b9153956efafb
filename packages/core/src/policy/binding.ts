/**
 * Sender-constrained tokens: whether a verified token's binding (`cnf`) is
 * met by the request that carried it. A DPoP-bound token (`cnf.jkt`, RFC 9449)
 * needs the DPoP scheme and a proof signed by that key; a certificate-bound
 * token (`cnf['x5t#S256']`, RFC 8705) needs that client certificate. The
 * replay store is asked last, when everything else has passed.
 */

import { sameText, sha256Base64url } from '#binding-crypto'
import { type CertificateSource, readClientCertificate } from '../request/client-certificate.js'
import { normaliseHtu } from '../request/dpop-htu.js'
import { type DpopNonces, renewNonce } from '../request/dpop-nonce.js'
import type { DpopProofVerifier, VerifiedProof } from '../request/dpop-proof.js'
import type { ReplayStore } from '../request/dpop-replay-store.js'
import { headerValues, type RequestInfo } from '../request/request-info.js'
import { BindingFailure, invalidProof, ReplayStoreFailure } from './binding-failure.js'

/** How a request proved it holds the token: `AuthResult.binding`. */
export type Binding = undefined | { method: 'dpop'; jkt: string } | { method: 'mtls'; thumbprint: string }

/**
 * What a verified token's `cnf` binds it to, for `AuthResult.binding`: the
 * request is checked against it before the result is handed out.
 *
 * @example
 * bindingOf({ jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }) // { method: 'dpop', jkt: '0ZcO…' }
 */
export function bindingOf(cnf: unknown): Binding {
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const { jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>
  if (typeof jkt === 'string') return { method: 'dpop', jkt }
  if (typeof x5t === 'string') return { method: 'mtls', thumbprint: x5t }
  return undefined
}

/** The verifier's resolved `dpop` and `mtls` options. */
export interface BindingConfig {
  readonly dpop:
    | {
        readonly required: boolean
        readonly proofs: DpopProofVerifier
        readonly nonces: DpopNonces | undefined
        readonly replayStore: ReplayStore
        /** ms the replay store may take before the request fails with 503. */
        readonly replayTimeout: number
      }
    | undefined
  readonly mtls: { readonly required: boolean; readonly certificate: CertificateSource } | undefined
  /** Reports a client certificate that was present but could not be read. */
  readonly onUnreadableCertificate?: ((why: string) => void) | undefined
}

/** What `cnf` binds the token to. */
interface TokenBinding {
  jkt: string | undefined
  x5t: string | undefined
}

/**
 * Checks the binding of a verified token against its request; `scheme` is
 * the Authorization scheme the token came with. Resolves with what bound it,
 * or rejects with a `BindingFailure` (or a `ReplayStoreFailure`).
 *
 * @example
 * const binding = await checkBinding(auth.payload, 'DPoP', auth.token, request, config, Date.now())
 */
export async function checkBinding(
  payload: Readonly<Record<string, unknown>>,
  scheme: 'Bearer' | 'DPoP',
  token: string,
  request: RequestInfo | undefined,
  config: BindingConfig,
  now: number,
): Promise<Binding> {
  if (scheme === 'Bearer') return checkBearerBinding(payload, request, config)
  const bound = tokenBinding(payload.cnf, scheme)
  if (bound.jkt === undefined) {
    throw new BindingFailure('dpop_token_not_bound', 'invalid_token', 'the access token is not DPoP-bound')
  }
  if (config.mtls?.required === true) {
    throw new BindingFailure(
      'certificate_binding_required',
      'invalid_token',
      'the access token must be bound to a client certificate',
    )
  }
  if (config.dpop === undefined || request === undefined) {
    throw new BindingFailure('dpop_not_accepted', 'invalid_token', 'DPoP-bound tokens are not accepted here')
  }
  const proof = await verifyProof(request, token, bound.jkt, config.dpop.proofs, now)
  // Not compared in constant time: both are public, the thumbprint of the key the proof carries
  // and the token's own claim, which its presenter holds.
  if (proof.jkt !== bound.jkt) {
    throw new BindingFailure(
      'dpop_key_mismatch',
      'invalid_token',
      'DPoP proof key does not match the token binding',
    )
  }
  const claimed = claimProof(config.dpop, proof)
  if (claimed !== undefined) await claimed
  if (proof.renewNonce === true && config.dpop.nonces !== undefined)
    renewNonce(request, config.dpop.nonces.current())
  return { method: 'dpop', jkt: proof.jkt }
}

/**
 * The binding check of a token sent with the Bearer scheme (synchronous: no
 * proof to verify, no store to ask). Throws a `BindingFailure`.
 *
 * @example
 * checkBearerBinding(auth.payload, request, config) // undefined for a bearer token, or the mTLS binding
 */
export function checkBearerBinding(
  payload: Readonly<Record<string, unknown>>,
  request: RequestInfo | undefined,
  config: BindingConfig,
): Binding {
  const bound = tokenBinding(payload.cnf, 'Bearer')
  if (bound.jkt !== undefined) {
    const accepted = config.dpop !== undefined
    throw new BindingFailure(
      accepted ? 'dpop_token_as_bearer' : 'dpop_not_accepted',
      'invalid_token',
      accepted
        ? 'a DPoP-bound token must be sent with the DPoP scheme'
        : 'DPoP-bound tokens are not accepted here',
      'Bearer',
    )
  }
  if (bound.x5t !== undefined) return checkCertificate(bound.x5t, request, config)
  if (config.mtls?.required === true) {
    throw new BindingFailure(
      'certificate_binding_required',
      'invalid_token',
      'the access token must be bound to a client certificate',
      'Bearer',
    )
  }
  return undefined
}

/** `cnf` as far as m2m-guard understands it; anything else refuses the token (a binding it cannot check). */
function tokenBinding(cnf: unknown, scheme: 'Bearer' | 'DPoP'): TokenBinding {
  if (cnf === undefined) return { jkt: undefined, x5t: undefined }
  const invalid = (description: string) =>
    new BindingFailure('token_binding_invalid', 'invalid_token', description, scheme)
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf))
    throw invalid("'cnf' claim is not an object")
  const members = cnf as Record<string, unknown>
  const unknown = Object.keys(members).find((name) => name !== 'jkt' && name !== 'x5t#S256')
  if (unknown !== undefined) throw invalid("'cnf' claim names a binding that is not supported")
  const { jkt, 'x5t#S256': x5t } = members
  if (jkt !== undefined && (typeof jkt !== 'string' || jkt === '')) throw invalid("'cnf.jkt' is not a string")
  if (x5t !== undefined && (typeof x5t !== 'string' || x5t === ''))
    throw invalid("'cnf.x5t#S256' is not a string")
  if (jkt !== undefined && x5t !== undefined) throw invalid("'cnf' binds the token more than once")
  return { jkt: jkt as string | undefined, x5t: x5t as string | undefined }
}

function verifyProof(
  request: RequestInfo,
  token: string,
  boundJkt: string,
  proofs: DpopProofVerifier,
  now: number,
): Promise<VerifiedProof> {
  const values = headerValues(request.headers, 'dpop')
  if (values.length === 0)
    throw invalidProof('dpop_proof_missing', 'the DPoP scheme needs a DPoP proof header')
  // Node and Headers join repeated fields with ", "; a compact JWS has neither.
  const proof = values[0] as string
  if (values.length > 1 || proof.includes(',')) {
    throw invalidProof('dpop_proof_malformed', 'more than one DPoP proof header')
  }
  const htu = normaliseHtu(request.url)
  if (htu === undefined)
    throw invalidProof('dpop_url_mismatch', 'the request URL is not an absolute http(s) URL')
  return proofs.verify(proof.trim(), {
    method: request.method,
    htu,
    accessToken: token,
    now,
    url: request.url,
    boundJkt,
  })
}

/**
 * Records the proof's `jti` (per key): a second use is a replay. Throws at
 * once when the store answers at once (the in-memory store does), else
 * returns the promise of its verdict.
 */
function claimProof(
  dpop: NonNullable<BindingConfig['dpop']>,
  proof: VerifiedProof,
): Promise<void> | undefined {
  // Keyed by key and jti: two clients picking the same jti do not collide, and the id has a fixed length.
  const id = sha256Base64url(`${proof.jkt}.${proof.jti}`)
  let claimed: boolean | Promise<boolean>
  try {
    claimed = dpop.replayStore.claim(id, proof.expiresAt)
  } catch (error) {
    throw new ReplayStoreFailure('the DPoP replay store failed', { cause: error })
  }
  if (typeof claimed === 'boolean') return firstUse(claimed)
  return withTimeout(claimed, dpop.replayTimeout).then(firstUse, (error: unknown) => {
    throw new ReplayStoreFailure('the DPoP replay store failed', { cause: error })
  })
}

/** The replay store's answer: true for a first use; false is a replay; anything else, a broken store. */
function firstUse(first: unknown): undefined {
  if (first === true) return undefined
  if (first === false) throw invalidProof('dpop_proof_replayed', 'DPoP proof has been used before')
  throw new ReplayStoreFailure('the DPoP replay store answered neither true nor false')
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    timer.unref?.()
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

function checkCertificate(x5t: string, request: RequestInfo | undefined, config: BindingConfig): Binding {
  if (config.mtls === undefined) {
    throw new BindingFailure(
      'certificate_binding_not_accepted',
      'invalid_token',
      'certificate-bound tokens are not accepted here',
      'Bearer',
    )
  }
  const reading =
    request === undefined
      ? { missing: true as const, why: undefined }
      : readClientCertificate(request, config.mtls.certificate)
  if ('missing' in reading) {
    if (reading.why !== undefined) config.onUnreadableCertificate?.(reading.why)
    throw new BindingFailure(
      'certificate_missing',
      'invalid_token',
      'the token is bound to a client certificate; none was presented',
      'Bearer',
    )
  }
  if (!sameText(reading.thumbprint, x5t)) {
    throw new BindingFailure(
      'certificate_mismatch',
      'invalid_token',
      'the client certificate does not match the token binding',
      'Bearer',
    )
  }
  return { method: 'mtls', thumbprint: reading.thumbprint }
}
