import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose'

/** A DPoP proof as a server sees it after checking its signature against the key it carries. */
export interface CheckedProof {
  header: { typ?: string; alg?: string; jwk?: JWK }
  payload: { jti?: string; htm?: string; htu?: string; iat?: number; ath?: string; nonce?: string }
  /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` holds. */
  jkt: string
}

/** Verifies a proof's signature with the embedded key (jose), as RFC 9449 §4.3 step 6 does. */
export async function checkProof(proof: string | undefined): Promise<CheckedProof> {
  if (proof === undefined) throw new Error('no DPoP header')
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
  const header = decodeProtectedHeader(proof) as CheckedProof['header']
  if (protectedHeader.jwk === undefined) throw new Error('no jwk')
  return {
    header,
    payload: payload as CheckedProof['payload'],
    jkt: await calculateJwkThumbprint(protectedHeader.jwk),
  }
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url')
