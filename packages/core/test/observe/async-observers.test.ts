/**
 * Observers may be async functions (TypeScript accepts one where a void
 * handler is asked for). A rejection of theirs changes no verdict and is
 * never left unhandled, which would end the process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuthError, createVerifier } from '../../src/index.js'
import { observeVerifier } from '../../src/observe.js'
import { AUDIENCE, createSigner, ISSUER, validClaims } from '../helpers/local-keys.js'

let unhandled: unknown[]
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
})

const failing = async () => {
  throw new Error('SIEM unreachable')
}

describe('an async observer that rejects', () => {
  it.each(['onEvent', 'listener'] as const)(
    'as %s: verdicts unchanged, no unhandled rejection',
    async (kind) => {
      const signer = await createSigner('ES256')
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [signer.publicJwk] },
        ...(kind === 'onEvent' ? { onEvent: failing } : {}),
      })
      if (kind === 'listener') observeVerifier(verifier, failing)
      await expect(verifier.verify('garbage')).rejects.toBeInstanceOf(AuthError)
      const auth = await verifier.verify(await signer.sign(validClaims()))
      expect(auth.clientId).toBe('billing')
      // Two macrotask turns: a rejection left unhandled would be reported by now.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    },
  )
})
