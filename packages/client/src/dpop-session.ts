import { createHash, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { LRUCache } from 'lru-cache'
import type { DpopKey } from './dpop-key.js'

/**
 * Signs DPoP proofs (RFC 9449 §4) and remembers the nonces servers hand out, per origin.
 *
 * @example
 * ```ts
 * const session = createDpopSession(key, Date.now)
 * const proof = await session.proof('GET', 'https://orders.example/orders?page=2', accessToken)
 * session.remember('https://orders.example/orders', response.headers)
 * ```
 */
export interface DpopSession {
  /** A fresh proof for one request: new `jti`, current `iat`, the origin's nonce if one is known. */
  proof(method: string, url: string, accessToken?: string): Promise<string>
  /** Keeps the `DPoP-Nonce` of an answer for its origin. Returns whether it carried a usable one. */
  remember(url: string, headers: Headers): boolean
}

/** Origins whose nonce is kept; the least recently used is forgotten first. */
const MAX_ORIGINS = 100
/** A nonce longer than this is not kept (a hostile server must not grow our memory or headers). */
const MAX_NONCE_LENGTH = 1024
// RFC 9449 §8.1: nonce = 1*NQCHAR
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * `htu`: the request URL without query and fragment (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * targetUri('https://api.example/orders?id=1#top') // 'https://api.example/orders'
 * ```
 */
export function targetUri(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/**
 * `ath`: base64url SHA-256 of the access token (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU') // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
 * ```
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

/**
 * Creates the DPoP session of one client: its key, and the nonces of the servers it talks to
 * (bounded to 100 origins).
 *
 * @example
 * ```ts
 * const session = createDpopSession(resolveDpopKey(true)!, Date.now)
 * ```
 */
export function createDpopSession(key: DpopKey, clock: () => number): DpopSession {
  const nonces = new LRUCache<string, string>({ max: MAX_ORIGINS })
  return {
    async proof(method, url, accessToken) {
      const htu = targetUri(url)
      const nonce = nonces.get(new URL(url).origin)
      return new SignJWT({
        htm: method,
        htu,
        ...(accessToken === undefined ? {} : { ath: accessTokenHash(accessToken) }),
        ...(nonce === undefined ? {} : { nonce }),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: key.algorithm, jwk: key.publicJwk })
        .setJti(randomUUID())
        .setIssuedAt(Math.floor(clock() / 1000))
        .sign(key.key)
    },
    remember(url, headers) {
      const nonce = headers.get('dpop-nonce')
      if (nonce === null || nonce.length > MAX_NONCE_LENGTH || !NONCE.test(nonce)) return false
      nonces.set(new URL(url).origin, nonce)
      return true
    },
  }
}
