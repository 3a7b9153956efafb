/**
 * The new-token path's own promises: requests carrying the same new token
 * together share one verification, a refused token leaves nothing behind,
 * and the cached path answers exactly as the full path would.
 */
import { describe, expect, it } from 'vitest'
import { createVerifier, type VerifierEvent } from '../../src/index.js'
import { AUDIENCE, b64url, createSigner, ISSUER, validClaims } from '../helpers/local-keys.js'

const NOW = 1_900_000_000

async function setup() {
  const signer = await createSigner('ES256')
  const events: VerifierEvent[] = []
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [signer.publicJwk] },
    clock: () => NOW * 1000,
    onEvent: (event) => events.push(event),
  })
  return { signer, events, verifier }
}

describe('new tokens', () => {
  it('requests that bring the same new token at once share one verification', async () => {
    const { signer, events, verifier } = await setup()
    const token = await signer.sign(validClaims(NOW))
    const results = await Promise.all(
      Array.from({ length: 8 }, () => verifier.authenticate(`Bearer ${token}`)),
    )
    expect(new Set(results).size).toBe(1)
    expect(events.filter((event) => event.type === 'token_verified')).toHaveLength(1)
  })

  it('many distinct new tokens at once all verify (signatures checked on the thread pool)', async () => {
    const { signer, verifier } = await setup()
    const tokens = await Promise.all(Array.from({ length: 32 }, () => signer.sign(validClaims(NOW))))
    const results = await Promise.all(tokens.map((token) => verifier.verify(token)))
    expect(results.map((auth) => auth.token)).toEqual(tokens)
    const forged = tokens.map(
      (token) => `${token.slice(0, token.lastIndexOf('.'))}.${b64url('x'.repeat(64))}`,
    )
    const refused = await Promise.allSettled(forged.map((token) => verifier.verify(token)))
    expect(refused.map((outcome) => outcome.status)).toEqual(forged.map(() => 'rejected'))
  })

  it('a token refused at once is not kept as under way: the next one is checked afresh', async () => {
    const { signer, events, verifier } = await setup()
    const unsigned = `${b64url({ alg: 'none' })}.${b64url(validClaims(NOW))}.${b64url('x')}`
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(verifier.authenticate(`Bearer ${unsigned}`)).rejects.toMatchObject({ status: 401 })
    }
    expect(events.filter((event) => event.type === 'token_rejected')).toHaveLength(2)
    const token = await signer.sign(validClaims(NOW))
    await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ clientId: 'billing' })
  })

  it('the cached path answers as the full path: other spellings of the header, requirements, events', async () => {
    const { signer, events, verifier } = await setup()
    const token = await signer.sign(validClaims(NOW))
    const first = await verifier.authenticate(`Bearer ${token}`)
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}`, ` Bearer ${token} `]) {
      expect(await verifier.authenticate(header)).toBe(first)
    }
    await expect(verifier.authenticate(`Bearer ${token}`, { scopes: ['admin'] })).rejects.toMatchObject({
      status: 403,
    })
    await expect(verifier.authenticate(`Bearer ${token}x`)).rejects.toMatchObject({ status: 401 })
    await expect(verifier.authenticate(`Bearer ${token} ${token}`)).rejects.toMatchObject({ status: 400 })
    expect(events.filter((event) => event.type === 'token_cache_hit').length).toBeGreaterThanOrEqual(5)
    expect(events.filter((event) => event.type === 'token_verified')).toHaveLength(1)
  })
})
