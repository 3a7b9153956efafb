/**
 * Real keys and real tokens for tests that use a local key set (`jwks`
 * option): no network, every algorithm m2m-guard supports.
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTHeaderParameters, SignJWT } from 'jose'

export const ISSUER = 'https://auth.example.com'
export const AUDIENCE = 'https://orders.example.com'

export interface Signer {
  alg: string
  kid: string
  publicJwk: JWK
  privateKey: CryptoKey
  /** Signs `claims` (merged over valid defaults; `undefined` values drop a claim). */
  sign(
    claims?: Record<string, unknown>,
    header?: { [K in keyof JWTHeaderParameters]?: JWTHeaderParameters[K] | undefined },
  ): Promise<string>
}

let counter = 0

export async function createSigner(alg = 'RS256', kid = `key-${++counter}`): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return {
    alg,
    kid,
    publicJwk,
    privateKey,
    sign: (claims = {}, header = {}) =>
      signWith(privateKey, { alg, kid, typ: 'at+jwt', ...header } as JWTHeaderParameters, claims),
  }
}

/** Valid RFC 9068 claims at `now` (seconds). */
export function validClaims(now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'billing',
    client_id: 'billing',
    scope: 'orders:read orders:write',
    iat: now,
    exp: now + 300,
    jti: `jti-${++counter}`,
  }
}

export async function signWith(
  key: CryptoKey | Uint8Array,
  header: JWTHeaderParameters,
  claims: Record<string, unknown>,
): Promise<string> {
  const payload: Record<string, unknown> = { ...validClaims(), ...claims }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return new SignJWT(payload).setProtectedHeader(header).sign(key)
}

/** base64url of a JSON value or a string, for hand-made tokens. */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}
