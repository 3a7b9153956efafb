/**
 * The JWKS as core will see it: which keys can verify tokens (type, curve or
 * size, algorithm, kid) and which core skips, and why. Core itself judges
 * each key: a verifier over a local key set of that one key either takes it
 * or names why not, so the doctor cannot disagree with the service.
 */
import { type AsymmetricAlgorithm, createVerifier } from '@m2m-guard/core'
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'

// Core's default bound on a key set (jwksCache.maxKeys).
const MAX_KEYS = 100

/**
 * The "keys" check for a fetched JWKS body.
 *
 * @example
 * const line = keySetCheck('{"keys":[...]}', ['RS256'])
 */
export function keySetCheck(body: string, algorithms: readonly AsymmetricAlgorithm[] | undefined): CheckLine {
  const fail = (detail: string, fix: string): CheckLine => ({
    id: 'keys',
    status: 'fail',
    label: 'keys',
    detail,
    fix,
  })
  let document: unknown
  try {
    document = JSON.parse(body)
  } catch {
    return fail('the JWKS is not JSON', 'the jwks_uri must serve a JSON Web Key Set (RFC 7517 §5)')
  }
  const keys = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) {
    return fail('the JWKS has no "keys" array', 'the jwks_uri must serve { "keys": [...] } (RFC 7517 §5)')
  }
  if (keys.length > MAX_KEYS) {
    return fail(
      `${keys.length} keys, more than core's ${MAX_KEYS}`,
      'publish fewer keys, or raise jwksCache.maxKeys',
    )
  }
  const leaked = keys.filter((key) => typeof key === 'object' && key !== null && ('d' in key || 'k' in key))
  if (leaked.length > 0) {
    return fail(
      `${leaked.map(describeKey).join(', ')}: private or symmetric key material in a public key set`,
      'the issuer is publishing secret keys: rotate them now; core never verifies with them',
    )
  }
  const usable: string[] = []
  const skipped: string[] = []
  for (const key of keys as unknown[]) {
    const why = coreRefuses(key, algorithms)
    if (why === undefined) usable.push(describeKey(key))
    else skipped.push(`${describeKey(key)}: ${why}`)
  }
  const skippedText = skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : ''
  if (usable.length === 0) {
    return fail(
      `no key core can verify with (${keys.length} in the set${skippedText})`,
      'publish an asymmetric signing key (RSA ≥ 2048 bits, EC P-256/384/521 or Ed25519) with use "sig" or no use',
    )
  }
  const status = skipped.length > 0 ? 'warn' : 'pass'
  return {
    id: 'keys',
    status,
    label: 'keys',
    detail: `${usable.length} signing key${usable.length === 1 ? '' : 's'}: ${usable.join(', ')}${skippedText}`,
    ...(status === 'warn'
      ? { fix: 'skipped keys never verify a token; if tokens name them, they are refused' }
      : {}),
  }
}

/** Why core would not verify with `key`, or undefined if it would. */
function coreRefuses(
  key: unknown,
  algorithms: readonly AsymmetricAlgorithm[] | undefined,
): string | undefined {
  try {
    createVerifier({
      issuer: 'https://doctor.invalid',
      audience: 'doctor',
      jwks: { keys: [key as Record<string, unknown> as never] },
      ...(algorithms === undefined ? {} : { algorithms }),
    })
    return undefined
  } catch (error) {
    // '"jwks" option has no usable signing key (<kid or (no kid)>: <why>)': keep <why>.
    const message = (error as Error).message
    const kid = (key as { kid?: unknown } | null)?.kid
    const opening = `no usable signing key (${typeof kid === 'string' ? kid : '(no kid)'}: `
    const at = message.indexOf(opening)
    return printable(at < 0 || !message.endsWith(')') ? message : message.slice(at + opening.length, -1))
  }
}

function describeKey(key: unknown): string {
  if (typeof key !== 'object' || key === null) return printable(key)
  const jwk = key as Record<string, unknown>
  const shape =
    jwk.kty === 'RSA'
      ? `RSA ${rsaBits(jwk) ?? '?'}`
      : jwk.kty === 'EC' || jwk.kty === 'OKP'
        ? `${jwk.kty} ${printable(jwk.crv)}`
        : printable(jwk.kty)
  const alg = typeof jwk.alg === 'string' ? ` ${printable(jwk.alg)}` : ' (no alg)'
  const kid = jwk.kid === undefined ? ' no kid' : ` kid ${printable(jwk.kid)}`
  return `${shape}${alg}${kid}`
}

function rsaBits(jwk: Record<string, unknown>): number | undefined {
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string') return undefined
  const modulus = Buffer.from(jwk.n, 'base64url')
  const leading = modulus.findIndex((byte) => byte !== 0)
  if (leading < 0) return 0
  return (modulus.length - leading) * 8 - Math.clz32(modulus[leading] as number) + 24
}
