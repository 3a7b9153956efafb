// A key pair and tokens made with node:crypto alone: the smoke project installs
// nothing but the tarballs and the frameworks.
import { generateKeyPairSync, sign } from 'node:crypto'

export const issuer = 'https://auth.example.com'
export const audience = 'https://orders.example.com'

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
export const jwks = {
  keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'smoke', alg: 'ES256', use: 'sig' }],
}

const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')

export function mint(claims) {
  const now = Math.floor(Date.now() / 1000)
  const input = `${encode({ alg: 'ES256', kid: 'smoke', typ: 'at+jwt' })}.${encode({ iss: issuer, aud: audience, iat: now, exp: now + 60, ...claims })}`
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}
