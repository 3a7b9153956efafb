/**
 * The `dpop` and `mtls` verifier options: their types, defaults, and the
 * validation that turns a misconfiguration into a TypeError naming the
 * option at `createVerifier`.
 */
import { bindingCryptoAvailable, utf8Length } from '#binding-crypto'
import type { ChallengeSchemes } from '../challenge.js'
import type { EventHandler } from '../events.js'
import { ASYMMETRIC_ALGORITHMS, type AsymmetricAlgorithm } from '../options.js'
import { CERTIFICATE_HEADERS, type CertificateSource } from '../request/client-certificate.js'
import { createDpopNonces, type DpopNonces, MIN_SECRET_BYTES } from '../request/dpop-nonce.js'
import { createDpopProofVerifier, DEFAULT_DPOP_ALGORITHMS } from '../request/dpop-proof.js'
import { createMemoryReplayStore, type ReplayStore } from '../request/dpop-replay-store.js'
import type { BindingConfig } from './binding.js'

/**
 * Accept DPoP-bound tokens (RFC 9449).
 *
 * @example
 * createVerifier({ issuer, audience, dpop: { required: true, nonce: { secret: process.env.DPOP_NONCE_SECRET } } })
 */
export interface DpopOptions {
  /** Refuse Bearer tokens: only DPoP-bound tokens with a proof pass. Default false. */
  required?: boolean | undefined
  /** Proof algorithms accepted. Default ES256, EdDSA, PS256, RS256. */
  algorithms?: readonly AsymmetricAlgorithm[] | undefined
  /** Seconds a proof is accepted after its `iat` (plus `clockTolerance`). Default 300. */
  proofMaxAge?: number | undefined
  /**
   * Demand server nonces (`DPoP-Nonce`), derived from `secret` (at least 32
   * bytes, the same on every instance) and the time; `window` seconds each
   * (default 60), the previous window still accepted.
   */
  nonce?: { secret: string | Uint8Array; window?: number | undefined } | undefined
  /** Where used proofs are remembered. Default: in memory, 100,000 proofs. Fleets: `@m2m-guard/redis`. */
  replayStore?: ReplayStore | undefined
  /** ms the replay store may take before the request fails with 503. Default 2000. */
  replayTimeout?: number | undefined
}

/**
 * Accept certificate-bound tokens (RFC 8705).
 *
 * @example
 * createVerifier({ issuer, audience, mtls: { certificate: 'x-forwarded-client-cert' } })
 */
export interface MtlsOptions {
  /** Where the client certificate is read. Default `'socket'`, the TLS connection. */
  certificate?: CertificateSource | undefined
  /** Refuse tokens not bound to a certificate, DPoP-bound ones included. Default false. */
  required?: boolean | undefined
}

/** The resolved binding configuration of one verifier. */
export interface ResolvedBinding extends BindingConfig {
  /** Whether any binding is on; off, tokens with `cnf` are refused and nothing else changes. */
  readonly enabled: boolean
  /** The schemes the verifier challenges with (`errorOn` set per refusal). */
  readonly schemes: ChallengeSchemes
  readonly nonces: DpopNonces | undefined
}

const DPOP_KEYS = new Set(['required', 'algorithms', 'proofMaxAge', 'nonce', 'replayStore', 'replayTimeout'])
const MTLS_KEYS = new Set(['certificate', 'required'])
const ALGORITHMS = new Set<string>(ASYMMETRIC_ALGORITHMS)

/**
 * Validates `dpop` and `mtls`; throws a TypeError naming the option.
 *
 * @example
 * const binding = resolveBinding(options.dpop, options.mtls, { clock: Date.now, clockTolerance: 5, onEvent: undefined })
 */
export function resolveBinding(
  dpop: unknown,
  mtls: unknown,
  context: { clock: () => number; clockTolerance: number; onEvent: EventHandler | undefined },
): ResolvedBinding {
  const dpopConfig = resolveDpop(dpop, context)
  const mtlsConfig = resolveMtls(mtls)
  if (dpopConfig?.config.required === true && mtlsConfig?.required === true) {
    // A token is bound to a DPoP key or to a certificate, never both ('cnf' binds it once).
    throw new TypeError(
      '"dpop.required" and "mtls.required" options cannot both be true: no token is bound to both',
    )
  }
  const algs = dpopConfig?.algorithms.join(' ')
  const onEvent = context.onEvent
  return {
    enabled: dpopConfig !== undefined || mtlsConfig !== undefined,
    dpop: dpopConfig?.config,
    mtls: mtlsConfig,
    nonces: dpopConfig?.config.nonces,
    schemes: { bearer: dpopConfig?.config.required !== true, dpopAlgs: algs, errorOn: 'Bearer' },
    onUnreadableCertificate:
      onEvent === undefined ? undefined : (why) => onEvent({ type: 'client_certificate_unreadable', why }),
  }
}

function resolveDpop(value: unknown, context: { clock: () => number; clockTolerance: number }) {
  if (value === undefined || value === false) return undefined
  requireBindingCrypto('dpop')
  const options = value === true ? {} : value
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      '"dpop" option must be an object ({ required?, algorithms?, proofMaxAge?, nonce?, replayStore? })',
    )
  }
  const given = options as Record<string, unknown>
  for (const name of Object.keys(given)) {
    if (!DPOP_KEYS.has(name)) throw new TypeError(`unknown option "dpop.${name}"`)
  }
  const required = booleanOption('dpop.required', given.required)
  const algorithms = algorithmList(given.algorithms)
  const proofMaxAge = numberOption('dpop.proofMaxAge', given.proofMaxAge, 300, { min: 1, max: 3600 })
  const replayTimeout = numberOption('dpop.replayTimeout', given.replayTimeout, 2000, { min: 1, max: 60_000 })
  const replayStore = given.replayStore ?? createMemoryReplayStore({ clock: context.clock })
  if (typeof (replayStore as ReplayStore | null)?.claim !== 'function') {
    throw new TypeError('"dpop.replayStore" option must have a claim(id, expiresAt) method')
  }
  const nonces = nonceOption(given.nonce, context.clock)
  return {
    algorithms,
    config: {
      required,
      proofs: createDpopProofVerifier({
        algorithms: new Set(algorithms),
        proofMaxAge,
        clockTolerance: context.clockTolerance,
        nonces,
      }),
      nonces,
      replayStore: replayStore as ReplayStore,
      replayTimeout,
    },
  }
}

function resolveMtls(value: unknown): BindingConfig['mtls'] {
  if (value === undefined || value === false) return undefined
  requireBindingCrypto('mtls')
  const options = value === true ? {} : value
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('"mtls" option must be an object ({ certificate?, required? })')
  }
  const given = options as Record<string, unknown>
  for (const name of Object.keys(given)) {
    if (!MTLS_KEYS.has(name)) throw new TypeError(`unknown option "mtls.${name}"`)
  }
  const certificate = given.certificate ?? 'socket'
  if (
    typeof certificate !== 'function' &&
    certificate !== 'socket' &&
    !Object.hasOwn(CERTIFICATE_HEADERS, certificate as string)
  ) {
    throw new TypeError(
      `"mtls.certificate" option must be 'socket', ${Object.keys(CERTIFICATE_HEADERS)
        .map((name) => `'${name}'`)
        .join(', ')} or a function (request) => certificate`,
    )
  }
  return {
    required: booleanOption('mtls.required', given.required),
    certificate: certificate as CertificateSource,
  }
}

function requireBindingCrypto(option: string): void {
  if (!bindingCryptoAvailable) {
    throw new TypeError(
      `"${option}" option needs node:crypto, which this runtime lacks (Node.js, Bun and Deno have it)`,
    )
  }
}

function algorithmList(value: unknown): readonly string[] {
  if (value === undefined) return DEFAULT_DPOP_ALGORITHMS
  if (!Array.isArray(value) || value.length === 0 || value.some((alg) => !ALGORITHMS.has(alg))) {
    throw new TypeError(
      `"dpop.algorithms" option must be a non-empty list of ${ASYMMETRIC_ALGORITHMS.join(', ')} (never none or HS*)`,
    )
  }
  return [...new Set(value as string[])]
}

function nonceOption(value: unknown, clock: () => number): DpopNonces | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null)
    throw new TypeError('"dpop.nonce" option must be { secret, window? }')
  const { secret, window, ...rest } = value as Record<string, unknown>
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw new TypeError(`unknown option "dpop.nonce.${extra}"`)
  const bytes =
    typeof secret === 'string' ? utf8Length(secret) : secret instanceof Uint8Array ? secret.length : -1
  if (bytes < MIN_SECRET_BYTES) {
    throw new TypeError(
      `"dpop.nonce.secret" option must be a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`,
    )
  }
  const seconds = numberOption('dpop.nonce.window', window, 60, { min: 1, max: 3600 })
  return createDpopNonces({ secret: secret as string | Uint8Array, window: seconds, clock })
}

function booleanOption(name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" option must be a boolean`)
  return value
}

function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  range: { min: number; max: number },
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < range.min || value > range.max) {
    throw new TypeError(`"${name}" option must be a number from ${range.min} to ${range.max}`)
  }
  return value
}
