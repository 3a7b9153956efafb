import { describe, expect, it } from 'vitest'
import { createVerifier, isVerifier, resolveGuardOptions } from '../../src/index.js'

const options = { issuer: 'https://auth.example.com', audience: 'api' }
const modes = ['respond', 'next'] as const

describe('resolveGuardOptions', () => {
  it('creates a verifier from options, with the first mode by default', () => {
    const { verifier, onError } = resolveGuardOptions(options, [...modes])
    expect(isVerifier(verifier)).toBe(true)
    expect(onError).toBe('respond')
  })

  it('takes a ready verifier, bare or as { verifier }, and an onError mode', () => {
    const shared = createVerifier(options)
    expect(resolveGuardOptions(shared, [...modes]).verifier).toBe(shared)
    expect(resolveGuardOptions({ verifier: shared, onError: 'next' }, [...modes])).toEqual({
      verifier: shared,
      onError: 'next',
    })
  })

  it.each<[unknown, RegExp]>([
    [undefined, /createGuard needs verifier options/],
    [{ ...options, onError: 'throw' }, /"onError" option must be "respond" or "next"/],
    [{ verifier: {} }, /"verifier" option must be a Verifier/],
    [
      { verifier: createVerifier(options), audience: 'x' },
      /"verifier" option excludes verifier options \(got audience\)/,
    ],
    [{ issuer: options.issuer }, /"audience" option is required/],
  ])('refuses %j with a TypeError naming the option', (input, message) => {
    expect(() => resolveGuardOptions(input, [...modes])).toThrow(message)
  })
})
