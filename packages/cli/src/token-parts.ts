/**
 * Reads a token's header and claims WITHOUT verifying it, with jose's
 * decoders, and says precisely why when it is not a signed JWT. The
 * signature is only ever measured, never returned.
 */
import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose'

/** A token's readable parts. */
export interface TokenParts {
  header: ProtectedHeaderParameters
  payload: JWTPayload
  /** Length of the decoded signature, in bytes; the signature itself is never kept. */
  signatureBytes: number
}

/** The parts, or what is wrong with the token's shape, header or claims. */
export type Inspected =
  | { ok: true; parts: TokenParts }
  | { ok: false; stage: 'shape' | 'header' | 'claims'; problem: string }

const BASE64URL = /^[A-Za-z0-9_-]*$/

/**
 * Splits and decodes a compact JWS.
 *
 * @example
 * const inspected = inspectToken(token)
 * if (inspected.ok) console.log(inspected.parts.payload.exp)
 */
export function inspectToken(token: string): Inspected {
  const segments = token.split('.')
  if (segments.length === 5) {
    return { ok: false, stage: 'shape', problem: 'it has 5 parts: an encrypted JWT (JWE), not a signed one' }
  }
  if (segments.length !== 3) {
    return {
      ok: false,
      stage: 'shape',
      problem: `a JWT has 3 parts separated by dots, this has ${segments.length}${segments.length === 1 ? ' (an opaque token? those need introspection, RFC 7662)' : ''}`,
    }
  }
  const names = ['header', 'payload', 'signature']
  for (const [index, segment] of segments.entries()) {
    if (!BASE64URL.test(segment)) {
      return { ok: false, stage: 'shape', problem: `its ${names[index]} is not base64url` }
    }
  }
  if (segments[2] === '') return { ok: false, stage: 'shape', problem: 'it has no signature (alg "none"?)' }
  let header: ProtectedHeaderParameters
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return { ok: false, stage: 'header', problem: 'its header is not a JSON object' }
  }
  let payload: JWTPayload
  try {
    payload = decodeJwt(token)
  } catch {
    return { ok: false, stage: 'claims', problem: 'its payload is not a JSON object' }
  }
  const signatureBytes = Buffer.from(segments[2] as string, 'base64url').byteLength
  return {
    ok: true,
    parts: {
      header: shallow(header) as typeof header,
      payload: shallow(payload) as JWTPayload,
      signatureBytes,
    },
  }
}

/** How deep claims are shown; anything deeper is summarised, so printing never recurses without bound. */
export const MAX_SHOWN_DEPTH = 16

/**
 * A copy of `value` with objects and arrays nested deeper than {@link MAX_SHOWN_DEPTH}
 * replaced by a note: a token may nest its JSON thousands deep, and JSON.stringify
 * would overflow the stack on it.
 *
 * @example
 * shallow({ a: { b: 1 } }) // { a: { b: 1 } }
 */
export function shallow(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_SHOWN_DEPTH) return `[nested deeper than ${MAX_SHOWN_DEPTH} levels, not shown]`
  if (Array.isArray(value)) return value.map((item) => shallow(item, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shallow(item, depth + 1)]))
}
