import { describe, expect, it } from 'vitest'
import { AuthError, InvalidRequestError, InvalidTokenError, MissingTokenError } from '../../src/errors.js'
import { extractBearerToken } from '../../src/request/extract-token.js'

const extract = (header: string | undefined) => extractBearerToken(header, { maxLength: 64, realm: 'api' })

function rejection(header: string | undefined): AuthError {
  try {
    extract(header)
  } catch (error) {
    if (error instanceof AuthError) return error
    throw error
  }
  throw new Error(`accepted ${JSON.stringify(header)}`)
}

describe('extractBearerToken (RFC 6750 §2.1)', () => {
  it('returns the token for any casing of the scheme and any number of spaces', () => {
    expect(extract('Bearer abc.def.ghi')).toBe('abc.def.ghi')
    expect(extract('bearer abc')).toBe('abc')
    expect(extract('BEARER    abc')).toBe('abc')
    expect(extract('  Bearer abc  ')).toBe('abc')
  })

  it('accepts the whole b64token alphabet, with trailing "="', () => {
    expect(extract('Bearer aZ09-._~+/==')).toBe('aZ09-._~+/==')
  })

  it.each([undefined, '', '   '])('no credentials (%j): 401 without an error code', (header) => {
    const error = rejection(header)
    expect(error).toBeInstanceOf(MissingTokenError)
    expect(error.status).toBe(401)
    expect(error.code).toBeUndefined()
    expect(error.reason).toBe('missing_token')
    expect(error.wwwAuthenticate).toBe('Bearer realm="api"')
  })

  it.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc', 'DPoP abc'])(
    'another scheme (%s): 401 without an error code',
    (header) => {
      const error = rejection(header)
      expect(error).toBeInstanceOf(MissingTokenError)
      expect(error.reason).toBe('unsupported_scheme')
      expect(error.wwwAuthenticate).toBe('Bearer realm="api"')
    },
  )

  it.each([
    ['Bearer', 'Bearer scheme without a token'],
    ['Bearer    ', 'Bearer scheme without a token'],
    ['Bearer abc def', 'more than one token in the Authorization header'],
    ['Bearer abc,def', 'token contains characters outside the b64token set'],
    ['Bearer a=b', 'token contains characters outside the b64token set'],
    ['Bearer abc\tdef', 'more than one token in the Authorization header'],
  ])('malformed (%j): 400 invalid_request', (header, description) => {
    const error = rejection(header)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(error.status).toBe(400)
    expect(error.description).toBe(description)
    expect(error.wwwAuthenticate).toBe(
      `Bearer realm="api", error="invalid_request", error_description="${description}"`,
    )
  })

  it('rejects a token over the cap before looking at its characters', () => {
    const error = rejection(`Bearer ${'"'.repeat(65)}`)
    expect(error).toBeInstanceOf(InvalidTokenError)
    expect(error.reason).toBe('token_too_large')
    expect(extract(`Bearer ${'a'.repeat(64)}`)).toHaveLength(64)
  })
})
