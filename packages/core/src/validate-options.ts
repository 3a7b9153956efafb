/**
 * Validates {@link VerifierOptions} once, at `createVerifier`, so that a
 * misconfigured service fails at start-up with a message naming the option
 * instead of rejecting every request later.
 */

import { PROFILE_FIELDS, resolveProfiles } from './issuers/resolve-profiles.js'
import { validateKeyStore } from './keys/key-store.js'
import type { JwksCacheOptions, ResolvedOptions, VerifierOptions } from './options.js'
import { DEFAULT_JWKS_CACHE } from './options.js'
import { resolveResourceMetadata } from './resource-metadata.js'
import { optionalBoolean, optionalFunction, positiveInteger } from './validate-fields.js'

const KNOWN_OPTIONS = new Set<string>([
  ...PROFILE_FIELDS,
  'issuers',
  'resourceMetadata',
  'realm',
  'jwksCache',
  'tokenCache',
  'maxTokenLength',
  'allowInsecureHttp',
  'fetch',
  'keyStore',
  'clock',
  'onEvent',
  'dpop',
  'mtls',
  'usage',
])
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
  const allowInsecureHttp = optionalBoolean('"allowInsecureHttp" option', options.allowInsecureHttp) ?? false
  return {
    profiles: resolveProfiles(options as unknown as Record<string, unknown>, allowInsecureHttp),
    resourceMetadata: resolveResourceMetadata(options.resourceMetadata, allowInsecureHttp),
    realm: realm(options.realm),
    jwksCache: jwksCache(options.jwksCache),
    tokenCacheSize: tokenCacheSize(options.tokenCache),
    maxTokenLength: positiveInteger('"maxTokenLength" option', options.maxTokenLength) ?? 16_384,
    allowInsecureHttp,
    fetch: optionalFunction('"fetch" option', options.fetch) ?? globalThis.fetch.bind(globalThis),
    keyStore: validateKeyStore(options.keyStore),
    clock: optionalFunction('"clock" option', options.clock) ?? Date.now,
    onEvent: optionalFunction('"onEvent" option', options.onEvent),
  }
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
