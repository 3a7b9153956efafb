/**
 * What a signature path provides. There are two, chosen by the package's
 * `imports` conditions (`#signature` in package.json), never per request:
 * signature-node.ts (node:crypto: Node.js, Bun, Deno) and signature-web.ts
 * (WebCrypto through jose: Cloudflare Workers and other runtimes without
 * node:crypto). Both give the same verdicts (test/differential.test.ts).
 */
import type { JWK } from 'jose'
import type { CompactJws } from './compact-jws.js'

/**
 * A public key imported for one signature path; only that path reads it. The
 * brand is a string, not a unique symbol, so that type checks which see both
 * the source and the built declarations agree it is one type.
 */
export interface SignatureKey {
  readonly 'm2m-guard:signature-key': true
}

/** The functions each signature path exports. */
export interface SignaturePath {
  /**
   * Imports a key set's public JWK (public members only), or returns why it
   * cannot verify here. Synchronous: key sets are checked when they arrive.
   */
  importSignatureKey(jwk: JWK): SignatureKey | string
  /**
   * Whether `jws` carries a valid signature by `key` for `alg` (one the key
   * may verify). False, not an exception, for a signature that cannot even be
   * parsed. node:crypto answers synchronously, WebCrypto with a promise.
   */
  verifySignature(jws: CompactJws, key: SignatureKey, alg: string): boolean | Promise<boolean>
  /**
   * The same verdict, computed off this thread (node:crypto: libuv's thread
   * pool), for when verifications overlap. Absent where there is no such
   * thread (WebCrypto is asynchronous already).
   */
  verifySignatureOffThread?(jws: CompactJws, key: SignatureKey, alg: string): Promise<boolean>
  /** The bytes of base64url text of canonical length (not 1 mod 4). */
  decodeBase64url(text: string): Uint8Array
}
