/**
 * `#binding-crypto` on runtimes without node:crypto (Cloudflare Workers
 * without `nodejs_compat`, browsers): DPoP and mTLS checks are not available
 * there, and `createVerifier` refuses the `dpop` and `mtls` options with a
 * TypeError. Nothing here imports a Node.js built-in or uses `Buffer`.
 */

/** Whether this runtime can check DPoP proofs and client certificates. */
export const bindingCryptoAvailable = false

function unavailable(): never {
  throw new Error('DPoP and mTLS checks need node:crypto (Node.js, Bun, Deno)')
}

/** Not available on this runtime. */
export function sha256Base64url(_input: string | Uint8Array): string {
  return unavailable()
}

/** Not available on this runtime. */
export function hmacSha256(_secret: string | Uint8Array, _message: string, _length: number): Uint8Array {
  return unavailable()
}

/** Not available on this runtime. */
export function sameBytes(_a: Uint8Array, _b: Uint8Array): boolean {
  return unavailable()
}

/** Not available on this runtime. */
export function sameText(_a: string, _b: string): boolean {
  return unavailable()
}

/** Not available on this runtime. */
export function decodeBytes(_text: string, _encoding: 'base64' | 'base64url'): Uint8Array {
  return unavailable()
}

/** Not available on this runtime. */
export function encodeBase64url(_bytes: Uint8Array): string {
  return unavailable()
}

/** Length in bytes of `text` as UTF-8. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length
}

/** Not available on this runtime. */
export function certificateDer(_input: string | Uint8Array): Uint8Array | undefined {
  return unavailable()
}
