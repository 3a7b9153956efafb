/**
 * Keys and tokens for the benchmarks: real key pairs, RFC 9068 access tokens
 * signed with node:crypto (so signing is not what we measure, and is fast
 * enough to make thousands of distinct tokens), and the JWKS that publishes
 * the public halves.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'

export const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const
export type Alg = (typeof ALGORITHMS)[number]

export const AUDIENCE = 'https://orders.example.com'
export const CLIENT_ID = 'billing'
export const SCOPE = 'orders:read'

/** A signing key, its public half, and how to sign with it. */
export interface BenchKey {
  alg: Alg
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public JWK as the JWKS serves it (with kid, alg, use). */
  jwk: Record<string, unknown>
  /** SPKI PEM of the public key, for peers configured with a static key. */
  pem: string
}

/** A {@link BenchKey} as plain data, to hand to another process (IPC): the key pair as PEM. */
export interface BenchKeyMaterial extends Omit<BenchKey, 'privateKey' | 'publicKey'> {
  privatePem: string
}

/** `key` as plain data; {@link importKey} turns it back into the same key. */
export function exportKey(key: BenchKey): BenchKeyMaterial {
  const { privateKey, publicKey: _, ...rest } = key
  return { ...rest, privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
}

/** The {@link BenchKey} that {@link exportKey} exported. */
export function importKey(material: BenchKeyMaterial): BenchKey {
  const { privatePem, ...rest } = material
  return { ...rest, privateKey: createPrivateKey(privatePem), publicKey: createPublicKey(material.pem) }
}

/** The node:crypto arguments that sign or verify `alg`. */
export function cryptoParams(alg: Alg): { hash: string | null; dsaEncoding?: 'ieee-p1363' } {
  if (alg === 'RS256') return { hash: 'sha256' }
  if (alg === 'ES256') return { hash: 'sha256', dsaEncoding: 'ieee-p1363' }
  return { hash: null }
}

export function createKey(alg: Alg): BenchKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  const kid = `bench-${alg.toLowerCase()}`
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
    pem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

let serial = 0

/** Claims of a valid client-credentials access token, distinct per call (`jti`). */
export function claims(issuer: string, lifetimeSeconds = 3600): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: issuer,
    sub: CLIENT_ID,
    aud: AUDIENCE,
    client_id: CLIENT_ID,
    scope: `${SCOPE} orders:write`,
    iat: now,
    exp: now + lifetimeSeconds,
    jti: `bench-${process.pid}-${++serial}`,
  }
}

/** The signing input of a token: base64url(header).base64url(payload). */
function signingInput(key: BenchKey, issuer: string, extra: Record<string, unknown> = {}): string {
  return `${b64url({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })}.${b64url({ ...claims(issuer), ...extra })}`
}

/** Signs one token synchronously; `extra` claims (such as `cnf`) are added. */
export function signToken(key: BenchKey, issuer: string, extra?: Record<string, unknown>): string {
  const input = signingInput(key, issuer, extra)
  const { hash, dsaEncoding } = cryptoParams(key.alg)
  const signature = sign(hash, Buffer.from(input), {
    key: key.privateKey,
    ...(dsaEncoding ? { dsaEncoding } : {}),
  })
  return `${input}.${signature.toString('base64url')}`
}

/** Signs `count` distinct tokens on the thread pool (RSA signing is slow; this uses every core). */
export async function signTokens(key: BenchKey, issuer: string, count: number): Promise<string[]> {
  const { hash, dsaEncoding } = cryptoParams(key.alg)
  const one = () =>
    new Promise<string>((resolve, reject) => {
      const input = signingInput(key, issuer)
      const options = { key: key.privateKey, ...(dsaEncoding ? { dsaEncoding } : {}) }
      sign(hash, Buffer.from(input), options, (error, signature) =>
        error ? reject(error) : resolve(`${input}.${signature.toString('base64url')}`),
      )
    })
  const tokens: string[] = []
  // Bounded batches: enough to keep the pool busy without queueing thousands of jobs.
  for (let done = 0; done < count; ) {
    const batch = Math.min(64, count - done)
    tokens.push(...(await Promise.all(Array.from({ length: batch }, one))))
    done += batch
  }
  return tokens
}
