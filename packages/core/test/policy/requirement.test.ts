import { describe, expect, it } from 'vitest'
import { InsufficientScopeError } from '../../src/errors.js'
import { checkRequirement, validateRequirement } from '../../src/policy/requirement.js'
import type { AuthResult } from '../../src/types.js'

const auth = (scopes: string[], clientId: string | null = 'billing'): AuthResult => ({
  issuer: 'https://auth.example.com',
  clientId: clientId ?? undefined,
  scopes,
  payload: {},
  header: { alg: 'RS256' },
  token: 't',
  binding: undefined,
})

function denial(
  result: AuthResult,
  requirement: Parameters<typeof checkRequirement>[1],
): InsufficientScopeError {
  try {
    checkRequirement(result, requirement, undefined)
  } catch (error) {
    expect(error).toBeInstanceOf(InsufficientScopeError)
    return error as InsufficientScopeError
  }
  throw new Error('requirement passed')
}

describe('checkRequirement', () => {
  it('passes when every required scope is granted', () => {
    expect(() => checkRequirement(auth(['a', 'b', 'c']), { scopes: ['a', 'c'] }, undefined)).not.toThrow()
    expect(() => checkRequirement(auth([]), { scopes: [] }, undefined)).not.toThrow()
    expect(() => checkRequirement(auth([]), {}, undefined)).not.toThrow()
  })

  it('403 insufficient_scope naming the required scopes when one is missing', () => {
    const error = denial(auth(['a']), { scopes: ['a', 'b', 'c'] })
    expect(error.status).toBe(403)
    expect(error.reason).toBe('insufficient_scope')
    expect(error.description).toBe('missing required scopes: b c')
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scopes: b c", scope="a b c"',
    )
    expect(error.requiredScopes).toEqual(['a', 'b', 'c'])
  })

  it('anyScopes: one granted scope is enough, none is a 403', () => {
    expect(() => checkRequirement(auth(['x', 'b']), { anyScopes: ['a', 'b'] }, undefined)).not.toThrow()
    const error = denial(auth(['x']), { anyScopes: ['a', 'b'] })
    expect(error.description).toBe('requires one of the scopes: a b')
    expect(error.wwwAuthenticate).toContain('scope="a b"')
  })

  it('scopes and anyScopes together must both hold', () => {
    expect(() =>
      checkRequirement(auth(['a', 'y']), { scopes: ['a'], anyScopes: ['x', 'y'] }, undefined),
    ).not.toThrow()
    expect(denial(auth(['a']), { scopes: ['a'], anyScopes: ['x', 'y'] }).description).toMatch(/one of/)
    expect(denial(auth(['y']), { scopes: ['a'], anyScopes: ['x', 'y'] }).description).toMatch(/missing/)
  })

  it('clients: allowlisted client passes, others get 403 without a scope attribute', () => {
    expect(() => checkRequirement(auth([], 'billing'), { clients: ['billing'] }, undefined)).not.toThrow()
    const error = denial(auth(['admin'], 'reporting'), { clients: ['billing'] })
    expect(error.reason).toBe('client_not_allowed')
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_scope", error_description="client 'reporting' is not allowed to access this resource"`,
    )
    expect(denial(auth([], null), { clients: ['billing'] }).reason).toBe('client_not_allowed')
  })

  it('writes the realm into the challenge', () => {
    try {
      checkRequirement(auth([]), { scopes: ['a'] }, 'orders')
    } catch (error) {
      expect((error as InsufficientScopeError).wwwAuthenticate).toMatch(/^Bearer realm="orders", error=/)
    }
    expect.assertions(1)
  })
})

describe('validateRequirement', () => {
  it('accepts well-formed requirements', () => {
    expect(() => validateRequirement(undefined)).not.toThrow()
    expect(() => validateRequirement({ scopes: ['a:b'], anyScopes: ['c'], clients: ['x'] })).not.toThrow()
  })

  it.each<[unknown, RegExp]>([
    [null, /requirement must be an object/],
    [['a'], /requirement must be an object/],
    [{ scope: ['a'] }, /unknown field "scope"/],
    [{ scopes: 'a' }, /"scopes" must be an array of strings/],
    [{ scopes: ['a b'] }, /"scopes" entry "a b" is not a valid scope token/],
    [{ scopes: [''] }, /"scopes" must contain only non-empty strings/],
    [{ anyScopes: [] }, /"anyScopes" must not be empty/],
    [{ clients: [] }, /"clients" must not be empty/],
    [{ clients: [1] }, /"clients" must contain only non-empty strings/],
  ])('rejects %j', (requirement, message) => {
    expect(() => validateRequirement(requirement)).toThrow(message)
  })
})
