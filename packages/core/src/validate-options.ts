/**
 * Validates {@link VerifierOptions} once, at `createVerifier`, so that a
 * misconfigured service fails at start-up with a message naming the option
 * instead of rejecting every request later.
 */

import { checkUrlPolicy } from './keys/url-policy.js'
import type { AsymmetricAlgorithm, JwksCacheOptions, ResolvedOptions, VerifierOptions } from './options.js'
import { ASYMMETRIC_ALGORITHMS, DEFAULT_JWKS_CACHE } from './options.js'

const KNOWN_OPTIONS = new Set<string>([
  'issuer',
  'audience',
  'jwksUri',
  'jwks',
  'algorithms',
  'clockTolerance',
  'maxTokenAge',
  'requireTyp',
  'clientIdClaims',
  'realm',
  'jwksCache',
  'tokenCache',
  'maxTokenLength',
  'allowInsecureHttp',
  'fetch',
  'clock',
  'onEvent',
])
const KNOWN_ALGORITHMS = new Set<string>(ASYMMETRIC_ALGORITHMS)
// RFC 6750 §3: realm is a quoted-string restricted to this character set.
const REALM = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/

/** Returns the options with defaults filled in, or throws a TypeError naming the bad option. */
export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with at least "issuer" and "audience"')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`unknown option "${name}"`)
  }
  const allowInsecureHttp = optionalBoolean('allowInsecureHttp', options.allowInsecureHttp) ?? false
  const issuers = stringList('issuer', options.issuer)
  const audiences = stringList('audience', options.audience)

  if (options.jwksUri !== undefined && options.jwks !== undefined) {
    throw new TypeError('options "jwksUri" and "jwks" exclude each other: give one')
  }
  let jwksUri: URL | undefined
  if (options.jwksUri !== undefined) {
    jwksUri = parseUrl('jwksUri', options.jwksUri)
    checkUrlPolicy('"jwksUri" option', jwksUri, allowInsecureHttp)
  } else if (options.jwks !== undefined) {
    const { jwks } = options
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
      throw new TypeError('"jwks" option must be a JSON Web Key Set: { keys: [...] }')
    }
  } else {
    if (issuers.length !== 1) {
      throw new TypeError(
        'with several issuers, give "jwksUri" or "jwks": keys are discovered for one issuer only',
      )
    }
    checkUrlPolicy(
      '"issuer" option (used for discovery)',
      parseUrl('issuer', issuers[0] as string),
      allowInsecureHttp,
    )
  }

  return {
    issuers,
    audiences,
    jwksUri,
    jwks: options.jwks,
    algorithms: algorithms(options.algorithms),
    clockTolerance: nonNegative('clockTolerance', options.clockTolerance) ?? 5,
    maxTokenAge: positive('maxTokenAge', options.maxTokenAge),
    requireTyp: optionalBoolean('requireTyp', options.requireTyp) ?? false,
    clientIdClaims:
      options.clientIdClaims === undefined
        ? ['client_id', 'azp']
        : stringList('clientIdClaims', options.clientIdClaims),
    realm: realm(options.realm),
    jwksCache: jwksCache(options.jwksCache),
    tokenCacheSize: tokenCacheSize(options.tokenCache),
    maxTokenLength: positiveInteger('maxTokenLength', options.maxTokenLength) ?? 16_384,
    allowInsecureHttp,
    fetch: optionalFunction('fetch', options.fetch) ?? globalThis.fetch.bind(globalThis),
    clock: optionalFunction('clock', options.clock) ?? Date.now,
    onEvent: optionalFunction('onEvent', options.onEvent),
  }
}

function stringList(name: string, value: unknown): string[] {
  if (value === undefined || value === null) throw new TypeError(`"${name}" option is required`)
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`"${name}" option must be a non-empty string or a non-empty array of strings`)
  }
  for (const entry of list) {
    if (typeof entry !== 'string' || entry === '') {
      throw new TypeError(`"${name}" option must contain only non-empty strings`)
    }
  }
  return [...list]
}

function parseUrl(name: string, value: unknown): URL {
  if (!(value instanceof URL) && typeof value !== 'string') {
    throw new TypeError(`"${name}" option must be a URL string`)
  }
  try {
    return new URL(value)
  } catch {
    throw new TypeError(
      `"${name}" option must be an absolute http(s) URL, got ${JSON.stringify(String(value))}`,
    )
  }
}

function algorithms(value: unknown): AsymmetricAlgorithm[] {
  if (value === undefined) return [...ASYMMETRIC_ALGORITHMS]
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('"algorithms" option must be a non-empty array')
  }
  for (const alg of value) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg))) {
      throw new TypeError(
        `"algorithms" option must not contain "${alg}": unsigned and symmetric (HS*) tokens are never accepted with public keys`,
      )
    }
    if (typeof alg !== 'string' || !KNOWN_ALGORITHMS.has(alg)) {
      throw new TypeError(
        `"algorithms" option contains unsupported ${JSON.stringify(alg)}; use ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return [...new Set(value as AsymmetricAlgorithm[])]
}

function jwksCache(value: JwksCacheOptions | undefined): Required<JwksCacheOptions> {
  if (value === undefined) return { ...DEFAULT_JWKS_CACHE }
  if (typeof value !== 'object' || value === null) throw new TypeError('"jwksCache" option must be an object')
  const resolved = { ...DEFAULT_JWKS_CACHE }
  for (const [key, setting] of Object.entries(value)) {
    if (!(key in DEFAULT_JWKS_CACHE)) throw new TypeError(`"jwksCache" option has unknown field "${key}"`)
    if (setting === undefined) continue
    const minimum = key === 'timeout' || key === 'maxResponseBytes' || key === 'maxKeys' ? 1 : 0
    if (!Number.isSafeInteger(setting) || (setting as number) < minimum) {
      throw new TypeError(`"jwksCache.${key}" option must be an integer >= ${minimum}`)
    }
    resolved[key as keyof JwksCacheOptions] = setting as number
  }
  return resolved
}

function tokenCacheSize(value: unknown): number {
  if (value === undefined) return 10_000
  if (value === false) return 0
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new TypeError('"tokenCache" option must be a positive integer (the most tokens kept) or false')
  }
  return value as number
}

function realm(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !REALM.test(value)) {
    throw new TypeError('"realm" option must be a string of printable ASCII without `"` or `\\`')
  }
  return value
}

function nonNegative(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`"${name}" option must be a non-negative number of seconds`)
  }
  return value
}

function positive(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" option must be a positive number of seconds`)
  }
  return value
}

function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new TypeError(`"${name}" option must be a positive integer`)
  }
  return value as number
}

function optionalBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new TypeError(`"${name}" option must be a boolean`)
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value === undefined || typeof value === 'function') return value
  throw new TypeError(`"${name}" option must be a function`)
}
