/**
 * Interop with a real third-party authorization server: oidc-provider (ES256, its own
 * discovery, keys and token format) and the testing server (RS256) serve one API side by
 * side. One verifier holds both as issuer profiles and finds each one's keys by
 * discovery; callers get their tokens with @m2m-guard/client, also by discovery.
 */
import { createTokenClient } from '@m2m-guard/client'
import { createVerifier, type Verifier, type VerifierEvent } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ISSUER_SERVICES } from './support/issuer-services.js'
import { type OidcProviderServer, startOidcProvider } from './support/oidc-provider.js'
import type { Service } from './support/services.js'

const API = 'https://orders.example'
let op: OidcProviderServer
let local: AuthServer

beforeAll(async () => {
  op = await startOidcProvider({
    audience: API,
    clients: [{ clientId: 'ledger', clientSecret: 'ledger-secret', scopes: ['orders:read', 'orders:write'] }],
  })
  local = await createAuthServer({
    audience: API,
    clients: [{ clientId: 'billing', clientSecret: 'billing-secret', scopes: ['orders:read'] }],
  })
})
afterAll(async () => {
  await op?.close()
  await local?.close()
})

const tokenOf = (issuer: string, clientId: string, clientSecret: string, scope: string) =>
  createTokenClient({ issuer, clientId, clientSecret, scope, resource: API }).getToken()

describe.each(ISSUER_SERVICES)('$name with oidc-provider and the testing server', (target) => {
  let service: Service
  let verifier: Verifier
  const events: VerifierEvent[] = []
  beforeAll(async () => {
    verifier = createVerifier({
      // No jwksUri: both key sets are found through each issuer's metadata.
      issuers: [
        { issuer: op.issuer, audience: API },
        { issuer: local.issuer, audience: API },
      ],
      onEvent: (event) => events.push(event),
    })
    service = await target.start(verifier, {
      '/orders': { scopes: ['orders:read'] },
      '/ledger-only': { issuers: [op.issuer] },
    })
  })
  afterAll(() => service.close())

  const call = async (path: string, token: string) => {
    const response = await fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }

  it('accepts oidc-provider’s ES256 token and the testing server’s RS256 token on one route', async () => {
    const ledger = await tokenOf(op.issuer, 'ledger', 'ledger-secret', 'orders:read orders:write')
    const billing = await tokenOf(local.issuer, 'billing', 'billing-secret', 'orders:read')
    expect(decodeProtectedHeader(ledger)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
    expect(decodeProtectedHeader(billing)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' })

    expect(await call('/orders', ledger)).toEqual({
      status: 200,
      body: { issuer: op.issuer, clientId: 'ledger', scopes: ['orders:read', 'orders:write'] },
    })
    expect(await call('/orders', billing)).toEqual({
      status: 200,
      body: { issuer: local.issuer, clientId: 'billing', scopes: ['orders:read'] },
    })
    // Each key set came from its own issuer's discovery document.
    const discovered = events.flatMap((event) => (event.type === 'metadata_fetched' ? [event.jwksUri] : []))
    expect(new Set(discovered)).toEqual(new Set([`${op.issuer}/jwks`, local.jwksUri]))
  })

  it('keeps the key sets apart: a token naming oidc-provider but signed by the testing server is refused', async () => {
    const forged = await local.mint({ iss: op.issuer, client_id: 'ledger', scope: 'orders:read' })
    const answer = await call('/orders', forged)
    expect(answer.status).toBe(401)
    expect(answer.body.error).toBe('invalid_token')
  })

  it('limits a route to oidc-provider’s tokens', async () => {
    const billing = await tokenOf(local.issuer, 'billing', 'billing-secret', 'orders:read')
    expect((await call('/ledger-only', billing)).status).toBe(403)
    const ledger = await tokenOf(op.issuer, 'ledger', 'ledger-secret', 'orders:read')
    expect((await call('/ledger-only', ledger)).status).toBe(200)
  })
})
