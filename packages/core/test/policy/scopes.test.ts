import { describe, expect, it } from 'vitest'
import { readScopes, scopeReader } from '../../src/policy/scopes.js'

const CLAIMS = ['scope', 'scp'] as const

describe('scopeReader', () => {
  it('answers one scope string with one frozen list, shared by every token that carries it', () => {
    const read = scopeReader()
    const first = read({ scope: 'orders:read  orders:write orders:read' }, CLAIMS)
    const second = read({ scope: 'orders:read  orders:write orders:read', jti: 'another token' }, CLAIMS)
    expect(first).toEqual({ ok: true, scopes: ['orders:read', 'orders:write'] })
    expect(second.ok && first.ok && second.scopes === first.scopes).toBe(true)
    expect(first.ok && Object.isFrozen(first.scopes)).toBe(true)
    expect(() => (first.ok ? (first.scopes as string[]).push('admin') : undefined)).toThrow(TypeError)
    expect(read({ scope: 'orders:read' }, CLAIMS)).toEqual({ ok: true, scopes: ['orders:read'] })
  })

  it.each([
    ['several claims: their union', { scope: 'a b', scp: ['b', 'c'] }],
    ['an array claim', { scp: ['a', 'b c'] }],
    ['no claim', { sub: 'x' }],
    ['a scope string longer than it remembers', { scope: `${'a'.repeat(1100)} b` }],
  ])('%s: the same answer as readScopes, frozen', (_name, payload) => {
    const lookup = scopeReader()(payload, CLAIMS)
    expect(lookup).toEqual(readScopes(payload, CLAIMS))
    expect(lookup.ok && Object.isFrozen(lookup.scopes)).toBe(true)
  })

  it('refuses a claim of the wrong type, as readScopes does', () => {
    expect(scopeReader()({ scope: 42 }, CLAIMS)).toEqual({ ok: false, claim: 'scope' })
    expect(scopeReader()({ scope: 'a', scp: [1] }, CLAIMS)).toEqual({ ok: false, claim: 'scp' })
  })

  it('stays right past its bound: every string keeps its own list', () => {
    const read = scopeReader()
    for (let index = 0; index < 200; index++) {
      expect(read({ scope: `s${index} shared` }, CLAIMS)).toEqual({
        ok: true,
        scopes: [`s${index}`, 'shared'],
      })
    }
    expect(read({ scope: 's0 shared' }, CLAIMS)).toEqual({ ok: true, scopes: ['s0', 'shared'] })
  })
})
