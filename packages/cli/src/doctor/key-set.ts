/**
 * The JWKS as core will see it: which keys can verify tokens (type, curve or
 * size, algorithm, kid) and which core skips, and why.
 */
import { ASYMMETRIC_ALGORITHMS } from '@m2m-guard/core'
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'

const ALGORITHMS = new Set<string>(ASYMMETRIC_ALGORITHMS)
const KEY_TYPES = new Set(['RSA', 'EC', 'OKP'])

/**
 * The "keys" check for a fetched JWKS body.
 *
 * @example
 * const line = keySetCheck('{"keys":[...]}', ['RS256'])
 */
export function keySetCheck(body: string, algorithms: readonly string[] | undefined): CheckLine {
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
  const usable: string[] = []
  const skipped: string[] = []
  const allowed = new Set(algorithms ?? ALGORITHMS)
  for (const key of keys as unknown[]) {
    const why = skipReason(key, allowed)
    const name = describeKey(key)
    if (why === undefined) usable.push(name)
    else skipped.push(`${name}: ${why}`)
  }
  const skippedText = skipped.length > 0 ? `; skipped ${skipped.join(', ')}` : ''
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

function skipReason(key: unknown, allowed: Set<string>): string | undefined {
  if (typeof key !== 'object' || key === null) return 'not an object'
  const jwk = key as Record<string, unknown>
  if (jwk.use === 'enc') return 'use "enc" (encryption key)'
  if (jwk.kty === 'oct') return 'symmetric (oct): never used with public keys'
  if (typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty))
    return `key type ${printable(jwk.kty)} not supported`
  if ('d' in jwk) return 'has private key material: the issuer is leaking its signing key'
  if (typeof jwk.alg === 'string' && !allowed.has(jwk.alg)) return `alg ${printable(jwk.alg)} not accepted`
  const bits = rsaBits(jwk)
  if (bits !== undefined && bits < 2048) return `RSA ${bits} bits (under 2048)`
  return undefined
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
