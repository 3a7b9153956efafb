/**
 * The cryptography DPoP and mTLS checks need beyond signatures, from
 * node:crypto (Node.js, Bun, Deno): SHA-256, HMAC, constant-time compare,
 * X.509 parsing. Chosen by the package's `#binding-crypto` import condition;
 * runtimes without node:crypto get binding-crypto-web.ts, which refuses the
 * `dpop` and `mtls` options at start-up.
 */
import * as nodeCrypto from 'node:crypto'
import { createHash, createHmac, timingSafeEqual, X509Certificate } from 'node:crypto'

/** Whether this runtime can check DPoP proofs and client certificates. */
export const bindingCryptoAvailable = true

// node:crypto's one-shot `hash` (Node.js 20.12+, Bun, Deno) skips the Hash object: 0.3 µs
// against 0.8 µs for a DPoP replay id, on every DPoP request. Looked up, not imported by name,
// so that a runtime without it still loads this module.
type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'base64url') => string
const oneShotHash = (nodeCrypto as { hash?: OneShotHash }).hash

/**
 * base64url of the SHA-256 of `input` (a string is hashed as UTF-8).
 *
 * @example
 * sha256Base64url('abc') // 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'
 */
export function sha256Base64url(input: string | Uint8Array): string {
  return oneShotHash === undefined
    ? createHash('sha256').update(input).digest('base64url')
    : oneShotHash('sha256', input, 'base64url')
}

/** HMAC-SHA-256 of `message` under `secret`, the first `length` bytes. */
export function hmacSha256(secret: string | Uint8Array, message: string, length: number): Uint8Array {
  return createHmac('sha256', secret).update(message).digest().subarray(0, length)
}

/** Constant-time equality of two byte strings (their lengths aside). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Constant-time equality of two strings (their lengths aside), as UTF-8. */
export function sameText(a: string, b: string): boolean {
  return sameBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Bytes of base64 (`'base64'`) or base64url (`'base64url'`) text already checked for its alphabet. */
export function decodeBytes(text: string, encoding: 'base64' | 'base64url'): Uint8Array {
  return Buffer.from(text, encoding)
}

/** base64url of `bytes`. */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** Length in bytes of `text` as UTF-8. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** The DER of a certificate given as PEM text or DER bytes, once X.509 parsing accepts it; undefined if not. */
export function certificateDer(input: string | Uint8Array): Uint8Array | undefined {
  try {
    return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input)).raw
  } catch {
    return undefined
  }
}
