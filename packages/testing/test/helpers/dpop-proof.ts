// DPoP proofs (RFC 9449 §4.2) as a client makes them, with every field open to breaking.
import { randomUUID } from 'node:crypto'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export interface ProofKey {
  alg: string
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, privateKey, publicJwk: await exportJWK(publicKey) }
}

export interface ProofOptions {
  htm?: string
  /** Seconds since the epoch. Default: now. */
  iat?: number
  jti?: string
  nonce?: string
  typ?: string
  /** Header `jwk`; default the key's public JWK. */
  jwk?: JWK
  /** Claims to leave out. */
  omit?: string[]
}

export async function makeProof(key: ProofKey, htu: string, options: ProofOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  }
  for (const name of options.omit ?? []) delete claims[name]
  return new SignJWT(claims)
    .setProtectedHeader({ typ: options.typ ?? 'dpop+jwt', alg: key.alg, jwk: options.jwk ?? key.publicJwk })
    .sign(key.privateKey)
}
