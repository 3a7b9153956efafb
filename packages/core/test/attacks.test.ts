/**
 * Tokens an attacker would send. Each must be refused with an AuthError, and
 * none may make the verifier fetch anything it was not configured to fetch.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CompactSign, type CryptoKey, exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthError, createVerifier, type Verifier } from '../src/index.js'
import { AUDIENCE, b64url, createSigner, ISSUER, type Signer, validClaims } from './helpers/local-keys.js'

let signer: Signer
let attackerKey: CryptoKey
let attackerJwk: Record<string, unknown>
let keyFetches: string[]
let verifier: Verifier
let attacker: Server
let attackerHits = 0
let attackerUrl: string

beforeAll(async () => {
  signer = await createSigner('RS256', 'good')
  const pair = await generateKeyPair('RS256', { extractable: true })
  attackerKey = pair.privateKey
  attackerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'good', alg: 'RS256' }
  keyFetches = []
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: 'https://auth.example.com/jwks',
    // The configured key set, served by an injected fetch that records every URL asked for.
    fetch: async (input) => {
      keyFetches.push(String(input))
      return Response.json({ keys: [signer.publicJwk] })
    },
  })
  await verifier.warmUp()
  keyFetches.length = 0

  attacker = createServer((_, response) => {
    attackerHits++
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ keys: [attackerJwk] }))
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/jwks`
})

afterAll(async () => {
  await new Promise((resolve) => attacker.close(resolve))
})

async function refused(token: string): Promise<AuthError> {
  try {
    await verifier.verify(token)
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).status).toBe(401)
    return error as AuthError
  }
  throw new Error('the forged token was accepted')
}

const claims = () => ({ ...validClaims(), scope: 'admin' })

describe('algorithm attacks', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg "%s" is refused before any key lookup', async (alg) => {
    const unsigned = `${b64url({ alg, kid: 'good' })}.${b64url(claims())}.`
    expect((await refused(unsigned)).reason).toBe('token_malformed')
    const withSignature = `${b64url({ alg, kid: 'good' })}.${b64url(claims())}.c2ln`
    expect((await refused(withSignature)).reason).toBe('algorithm_not_allowed')
    expect(keyFetches).toEqual([])
  })

  it.each([
    ['SPKI PEM', async () => new TextEncoder().encode(await exportSPKI(await publicCryptoKey()))],
    ['JWK JSON', async () => new TextEncoder().encode(JSON.stringify(signer.publicJwk))],
    ['modulus bytes', async () => Buffer.from(String(signer.publicJwk.n), 'base64url')],
  ])('HS256 signed with the public key (%s) is refused (algorithm confusion)', async (_, secret) => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg, kid: 'good' }).sign(await secret())
      expect((await refused(token)).reason).toBe('algorithm_not_allowed')
    }
    expect(keyFetches).toEqual([])
  })

  it('a token claiming another algorithm than its key declares finds no key', async () => {
    const { privateKey } = await generateKeyPair('PS256')
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'PS256', kid: 'good' })
      .sign(privateKey)
    expect((await refused(token)).reason).toBe('unknown_key')
  })

  it('an ES256 token naming an RSA key finds no key (wrong key type for the alg)', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'good' })
      .sign(privateKey)
    expect((await refused(token)).reason).toBe('unknown_key')
  })
})

describe('key-injection headers are never followed', () => {
  it.each(['jku', 'x5u'])('%s pointing at the attacker: never contacted', async (name) => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'good', [name]: attackerUrl })
      .sign(attackerKey)
    expect((await refused(token)).reason).toBe('signature_invalid')
    expect(attackerHits).toBe(0)
    expect(keyFetches).toEqual([])
  })

  it('an embedded jwk is ignored', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'good', jwk: attackerJwk as never })
      .sign(attackerKey)
    expect((await refused(token)).reason).toBe('signature_invalid')
  })

  it('an x5c chain is ignored', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({
        alg: 'RS256',
        kid: 'good',
        x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'],
      })
      .sign(attackerKey)
    expect((await refused(token)).reason).toBe('signature_invalid')
  })

  it('a token naming another issuer does not make us fetch that issuer’s keys', async () => {
    const token = await new SignJWT({ ...claims(), iss: 'http://127.0.0.1:1/evil' })
      .setProtectedHeader({ alg: 'RS256', kid: 'good' })
      .sign(signer.privateKey)
    expect((await refused(token)).reason).toBe('issuer_unknown')
    expect(keyFetches).toEqual([])
  })
})

describe('structure attacks', () => {
  it('an unknown critical header is refused', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'good', crit: ['urn:evil'], 'urn:evil': true })
      .sign(signer.privateKey)
      .catch(async () => {
        // jose refuses to sign it; build it by hand with a valid signature.
        const header = b64url({ alg: 'RS256', kid: 'good', crit: ['urn:evil'], 'urn:evil': true })
        const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
          .setProtectedHeader({ alg: 'RS256', kid: 'good' })
          .sign(signer.privateKey)
        return `${header}.${jws.split('.')[1]}.${jws.split('.')[2]}`
      })
    expect(['token_malformed', 'signature_invalid']).toContain((await refused(token)).reason)
  })

  it('unencoded payload (b64: false) is refused', async () => {
    const header = b64url({ alg: 'RS256', kid: 'good', b64: false, crit: ['b64'] })
    expect(['token_malformed', 'signature_invalid']).toContain(
      (await refused(`${header}.${b64url(claims())}.c2ln`)).reason,
    )
  })

  it('exp of 1e400 (Infinity once parsed) is refused', async () => {
    const payload = JSON.stringify({ ...claims(), exp: 0 }).replace('"exp":0', '"exp":1e400')
    const token = await new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'RS256', kid: 'good' })
      .sign(signer.privateKey)
    expect((await refused(token)).reason).toBe('invalid_claim')
  })

  it.each([
    ['empty', ''],
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['JWE (five segments)', 'a.b.c.d.e'],
    ['not base64url', 'a!.b.c'],
    ['header not JSON', `${b64url('not json')}.${b64url(claims())}.c2ln`],
    ['header JSON array', `${b64url([1, 2])}.${b64url(claims())}.c2ln`],
    ['payload not JSON', `${b64url({ alg: 'RS256', kid: 'good' })}.${b64url('nope')}.c2ln`],
    ['payload JSON array', `${b64url({ alg: 'RS256', kid: 'good' })}.${b64url([1])}.c2ln`],
    ['kid a number', `${b64url({ alg: 'RS256', kid: 7 })}.${b64url(claims())}.c2ln`],
    ['alg missing', `${b64url({ kid: 'good' })}.${b64url(claims())}.c2ln`],
    ['deep JSON header', `${b64url(`${'['.repeat(5000)}${']'.repeat(5000)}`)}.${b64url(claims())}.c2ln`],
  ])('%s: a clean 401', async (_, token) => {
    const error = await refused(token)
    expect(['token_malformed', 'algorithm_not_allowed', 'signature_invalid']).toContain(error.reason)
  })

  it('an iss of thousands of slashes is refused as unknown, its message bounded', async () => {
    // Near the length cap: a regex stripping trailing slashes backtracked quadratically on it.
    for (const iss of [`${'/'.repeat(11_500)}x`, `${ISSUER}${'/'.repeat(11_500)}`]) {
      const error = await refused(
        `${b64url({ alg: 'RS256', kid: 'good' })}.${b64url({ ...claims(), iss })}.c2ln`,
      )
      expect(error.reason).toBe('issuer_unknown')
      expect(error.message.length).toBeLessThan(ISSUER.length + 300)
    }
  })

  it('a token over the length cap is refused before parsing', async () => {
    expect((await refused(`${'a'.repeat(20_000)}.b.c`)).reason).toBe('token_too_large')
  })

  it('non-string input to verify is an AuthError, not a crash', async () => {
    for (const input of [undefined, null, 42, {}, ['a.b.c']]) {
      await expect(verifier.verify(input as never)).rejects.toBeInstanceOf(AuthError)
    }
  })
})

async function publicCryptoKey(): Promise<CryptoKey> {
  const { importJWK } = await import('jose')
  return (await importJWK(signer.publicJwk, 'RS256')) as CryptoKey
}
