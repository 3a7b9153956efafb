/**
 * The JWS half of verifying a token, before the signature: the compact
 * serialization's shape and the protected header, checked as jose's
 * `jwtVerify` checks them. The signature itself is checked in
 * signature-node.ts.
 *
 * Why not jose here: jose decodes base64url about 8× slower than Buffer on
 * Node 20 (the decoder comes from the signature path, `#signature`). Everything else keeps jose's rules and error classes, so errors
 * map to the same reasons; the differential test (test/differential.test.ts)
 * holds this module to jose's verdict on valid and mutated tokens of every
 * algorithm.
 */

import { errors, type JWTHeaderParameters } from 'jose'
import { decodeBase64url } from '#signature'

// Three non-empty base64url segments: a JWS in compact serialization (a JWE has five).
// Each segment must be canonical (RFC 4648 §3.5): the unused low bits of its last
// character are zero and no length is 1 mod 4. Decoders ignore those bits, so without
// this check one signed token has up to 16 spellings per segment that all verify.
// One linear regex for the alphabet, then a look at each segment's end: a single
// regex with the canonical rule built in takes over twice as long on a token.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// Last characters whose unused bits are zero: 4 unused bits (length 2 mod 4), 2 (length 3 mod 4).
const LAST_OF_2 = /[AQgw]/
const LAST_OF_3 = /[AEIMQUYcgkosw048]/

function canonicalSegment(token: string, start: number, end: number): boolean {
  const rest = (end - start) % 4
  if (rest === 0) return true
  if (rest === 1) return false
  return (rest === 2 ? LAST_OF_2 : LAST_OF_3).test(token.charAt(end - 1))
}

/**
 * True for three canonical base64url segments: the shape of a compact JWS, a
 * rule of m2m-guard's own (jose's decoders accept non-canonical segments).
 */
export function isCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  return (
    canonicalSegment(token, 0, first) &&
    canonicalSegment(token, first + 1, second) &&
    canonicalSegment(token, second + 1, token.length)
  )
}

/** A compact JWS whose protected header passed jose's header checks. */
export interface CompactJws {
  readonly token: string
  readonly header: JWTHeaderParameters
  /** Index of the first `.`. */
  readonly headerEnd: number
  /** Index of the second `.`: the signing input is everything before it. */
  readonly payloadEnd: number
}

// As jose decodes: fatal on invalid UTF-8, and a leading BOM is dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes one base64url segment of a token that has only base64url
 * characters. Like jose on Node 20 (`atob`), refuses a length of 1 mod 4;
 * otherwise yields the same bytes.
 */
export function decodeSegment(segment: string, what: string): Uint8Array {
  if (segment.length % 4 === 1) throw new errors.JWSInvalid(`Failed to base64url decode the ${what}`)
  return decodeBase64url(segment)
}

/** Parses UTF-8 JSON that must be a plain object (jose's `isObject`), or returns undefined. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(UTF8.decode(bytes))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/**
 * Splits a token of three base64url segments and checks its protected header
 * as jose does: a JSON object; `crit`, if present, a non-empty list that names
 * only `b64` (the one extension jose knows); and never an unencoded payload
 * (`b64: false`), which jose refuses in JWTs. Throws jose's `JWSInvalid`,
 * `JOSENotSupported` or `JWTInvalid`. A header found in `known`, by its
 * encoded form, is taken as it is.
 */
export function parseCompactJws(token: string, known?: ReadonlyMap<string, JWTHeaderParameters>): CompactJws {
  const headerEnd = token.indexOf('.')
  const payloadEnd = token.indexOf('.', headerEnd + 1)
  const segment = token.slice(0, headerEnd)
  // A header already parsed and checked (see `known` in new-token.ts): the checks depend on nothing else.
  const seen = known?.get(segment)
  if (seen !== undefined) return { token, header: seen, headerEnd, payloadEnd }
  const header = parseJsonObject(decodeSegment(segment, 'protected header'))
  if (header === undefined) throw new errors.JWSInvalid('JWS Protected Header is invalid')
  const { crit } = header
  if (crit !== undefined) {
    if (
      !Array.isArray(crit) ||
      crit.length === 0 ||
      crit.some((name) => typeof name !== 'string' || name === '')
    ) {
      throw new errors.JWSInvalid('"crit" (Critical) Header Parameter MUST be an array of non-empty strings')
    }
    for (const name of crit as string[]) {
      if (name !== 'b64')
        throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`)
      if (header.b64 === undefined) throw new errors.JWSInvalid('Extension Header Parameter "b64" is missing')
    }
    if (typeof header.b64 !== 'boolean') {
      throw new errors.JWSInvalid('The "b64" (base64url-encode payload) Header Parameter must be a boolean')
    }
    // jose checks the signature first and refuses after; the verdict is the same, without the work.
    if (!header.b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload')
  }
  if (typeof header.alg !== 'string' || header.alg === '') {
    throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid')
  }
  return { token, header: header as unknown as JWTHeaderParameters, headerEnd, payloadEnd }
}
