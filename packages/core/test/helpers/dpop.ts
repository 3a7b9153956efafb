/**
 * Real DPoP proofs for tests: a key pair per client, proofs signed with jose
 * the way RFC 9449 clients write them, and hooks to break any part of one.
 */
import { createHash, randomUUID } from 'node:crypto'
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export interface DpopKey {
  alg: string
  publicJwk: JWK
  privateKey: CryptoKey
  /** RFC 7638 thumbprint, as jose computes it. */
  jkt: string
  /**
   * A proof for `method` `url` and `token`; `claims` and `header` are merged
   * over valid ones (`undefined` drops a member).
   */
  proof(
    request: { method: string; url: string; token?: string | undefined; iat?: number | undefined },
    claims?: Record<string, unknown>,
    header?: Record<string, unknown>,
  ): Promise<string>
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url')

export async function createDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return {
    alg,
    publicJwk,
    privateKey,
    jkt: await calculateJwkThumbprint(publicJwk),
    async proof(request, claims = {}, header = {}) {
      const payload: Record<string, unknown> = {
        jti: randomUUID(),
        htm: request.method,
        htu: request.url,
        iat: request.iat ?? Math.floor(Date.now() / 1000),
        ...(request.token === undefined ? {} : { ath: ath(request.token) }),
        ...claims,
      }
      const protectedHeader: Record<string, unknown> = { typ: 'dpop+jwt', alg, jwk: publicJwk, ...header }
      for (const object of [payload, protectedHeader]) {
        for (const [name, value] of Object.entries(object)) if (value === undefined) delete object[name]
      }
      return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(privateKey)
    },
  }
}
