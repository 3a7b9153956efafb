import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { jwkThumbprint, type PublicJwk, publicJwkFor } from '../../src/request/jwk-thumbprint.js'

// RFC 7638 §3.1's example key and thumbprint.
const RFC7638_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
}

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    const checked = publicJwkFor(RFC7638_KEY, 'RS256')
    expect('jwk' in checked).toBe(true)
    expect(jwkThumbprint((checked as { jwk: PublicJwk }).jwk)).toBe(
      'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
    )
  })

  it.each(['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'PS256'])('equals jose for %s keys', async (alg) => {
    const { publicKey } = await generateKeyPair(alg, { extractable: true })
    const jwk = await exportJWK(publicKey)
    const checked = publicJwkFor({ ...jwk, kid: 'ignored', use: 'sig' }, alg)
    expect(jwkThumbprint((checked as { jwk: PublicJwk }).jwk)).toBe(await calculateJwkThumbprint(jwk))
  })
})

describe('publicJwkFor', () => {
  let es256: JWK
  beforeAll(async () => {
    es256 = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)
  })

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth', 'priv'])(
    'refuses a jwk with private member %s',
    (member) => {
      expect(publicJwkFor({ ...es256, [member]: 'AAAA' }, 'ES256')).toEqual({
        invalid: "'jwk' header carries private key material",
      })
    },
  )

  it.each([
    ['a key of another curve', () => ({ ...es256, crv: 'P-384' }), 'ES256'],
    ['an EC key for EdDSA', () => es256, 'EdDSA'],
    ['an EC key for RS256', () => es256, 'RS256'],
    ['a short coordinate', () => ({ ...es256, x: 'AAAA' }), 'ES256'],
    ['a non-base64url coordinate', () => ({ ...es256, x: `${'A'.repeat(42)}=` }), 'ES256'],
    ['a missing y', () => ({ ...es256, y: undefined }), 'ES256'],
    ['a wrong kty', () => ({ ...es256, kty: 'OKP' }), 'ES256'],
    ['an array', () => [es256], 'ES256'],
    ['null', () => null, 'ES256'],
    ['a string', () => 'jwk', 'ES256'],
    ['a small RSA modulus', () => ({ kty: 'RSA', n: 'A'.repeat(171), e: 'AQAB' }), 'RS256'],
    ['a huge RSA modulus', () => ({ kty: 'RSA', n: 'A'.repeat(2731), e: 'AQAB' }), 'RS256'],
    ['a long RSA exponent', () => ({ kty: 'RSA', n: 'A'.repeat(342), e: 'A'.repeat(20) }), 'RS256'],
    ['an unknown algorithm', () => es256, 'HS256'],
  ])('refuses %s', (_name, jwk, alg) => {
    expect(publicJwkFor(jwk(), alg)).toHaveProperty('invalid')
  })
})
