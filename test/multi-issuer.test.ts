/**
 * One verifier, three real local issuers at once (different algorithms,
 * audiences, key sets, one found by discovery): each issuer's tokens pass
 * with its own rules; keys of one never verify another's; an unknown `iss`
 * costs no request to any issuer; rotation at one leaves the others alone;
 * `Requirement.issuers` limits a route on every adapter. Requests to each
 * issuer are counted by the issuers themselves.
 */
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { createGuard as createExpressGuard } from '@m2m-guard/express'
import m2mGuard from '@m2m-guard/fastify'
import { createGuard as createKoaGuard } from '@m2m-guard/koa'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import express from 'express'
import fastify from 'fastify'
import Koa from 'koa'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'

const ORDERS = 'https://orders.example'
const PARTNER_AUDIENCE = 'api://orders'

let own: AuthServer // RS256, audience ORDERS, jwksUri given
let partner: AuthServer // ES256, its own audience, keys by discovery
let third: AuthServer // EdDSA, issuer with a path
let verifier: Verifier
let now = Date.now() // the verifier's clock, moved past key-set cooldowns by hand

beforeAll(async () => {
  ;[own, partner, third] = await Promise.all([
    createAuthServer({ algorithm: 'RS256', audience: ORDERS }),
    createAuthServer({ algorithm: 'ES256', audience: PARTNER_AUDIENCE }),
    createAuthServer({ algorithm: 'EdDSA', audience: ORDERS, issuerPath: '/tenant-c' }),
  ])
})
afterAll(async () => {
  await Promise.all([own, partner, third].map((server) => server.close()))
})

beforeEach(() => {
  now = Date.now()
  verifier = createVerifier({
    clock: () => now,
    audience: ORDERS,
    issuers: [
      { issuer: own.issuer, jwksUri: own.jwksUri },
      { issuer: partner.issuer, audience: PARTNER_AUDIENCE, scopeClaims: ['scope', 'permissions'] },
      { issuer: third.issuer, jwksUri: third.jwksUri, algorithms: ['EdDSA'] },
    ],
  })
  for (const server of [own, partner, third]) server.resetCounters()
})

const requests = () => [own, partner, third].map((server) => server.requests.metadata + server.requests.jwks)

describe('three issuers, one verifier', () => {
  it('each issuer’s tokens pass with that issuer’s audience and claims, and say who issued them', async () => {
    const a = await verifier.verify(await own.mint({ client_id: 'billing', scope: 'orders:read' }))
    const b = await verifier.verify(await partner.mint({ client_id: 'acme', permissions: ['orders:write'] }))
    const c = await verifier.verify(await third.mint({ client_id: 'batch', scope: 'orders:read' }))
    expect([a, b, c].map(({ issuer, clientId, scopes }) => ({ issuer, clientId, scopes }))).toEqual([
      { issuer: own.issuer, clientId: 'billing', scopes: ['orders:read'] },
      { issuer: partner.issuer, clientId: 'acme', scopes: ['orders:write'] },
      { issuer: third.issuer, clientId: 'batch', scopes: ['orders:read'] },
    ])
    // One key set each: own and third fetched their JWKS, partner discovered its own.
    expect(own.requests).toMatchObject({ metadata: 0, jwks: 1 })
    expect(partner.requests).toMatchObject({ metadata: 1, jwks: 1 })
    expect(third.requests).toMatchObject({ metadata: 0, jwks: 1 })
  })

  it('a token naming issuer A but signed with issuer B’s key is refused', async () => {
    await verifier.warmUp()
    const underOwnName = await partner.mint({ iss: own.issuer, aud: ORDERS })
    await expect(verifier.verify(underOwnName)).rejects.toMatchObject({ status: 401, reason: 'unknown_key' })
    // B's key under A's kid and A's algorithm name: A's key does not verify it.
    const underOwnKid = await partner.mint(
      { iss: own.issuer, aud: ORDERS },
      { kid: own.keys.current.kid, alg: 'ES256' },
    )
    await expect(verifier.verify(underOwnKid)).rejects.toMatchObject({ status: 401 })
    // Every token of another issuer's audience is refused too, though its key is the right one.
    await expect(verifier.verify(await partner.mint({ aud: ORDERS }))).rejects.toMatchObject({
      reason: 'audience_mismatch',
    })
    // The third issuer's profile accepts EdDSA only: an RS256 key in its name is refused before any lookup.
    await expect(verifier.verify(await own.mint({ iss: third.issuer }))).rejects.toMatchObject({
      reason: 'algorithm_not_allowed',
    })
  })

  it('an unknown iss makes no request to any issuer, however many arrive', async () => {
    for (let i = 0; i < 100; i++) {
      const token = await own.mint({ iss: `http://127.0.0.1:1/unknown-${i}` }, { kid: `forged-${i}` })
      await expect(verifier.verify(token)).rejects.toMatchObject({ status: 401, reason: 'issuer_unknown' })
    }
    expect(requests()).toEqual([0, 0, 0])
  })

  it('rotation at one issuer leaves the others untouched', async () => {
    const partnerToken = await partner.mint({ client_id: 'acme' })
    const thirdToken = await third.mint({ client_id: 'batch' })
    await verifier.verify(await own.mint())
    await verifier.verify(partnerToken)
    await verifier.verify(thirdToken)
    const before = requests()

    await own.rotateKeys({ dropPrevious: true })
    now += 31_000 // past the refetch cooldown
    const rotated = await verifier.verify(await own.mint({ client_id: 'billing' }))
    expect(rotated.header.kid).toBe(own.keys.current.kid)
    expect(own.requests.jwks).toBe((before[0] as number) + 1) // the unknown kid refetched own's set once
    expect(requests().slice(1)).toEqual(before.slice(1))
    // The others' tokens and keys are as they were: new tokens verify without a fetch.
    await verifier.verify(partnerToken)
    await verifier.verify(await partner.mint({ client_id: 'acme-2' }))
    await verifier.verify(await third.mint({ client_id: 'batch-2' }))
    expect(requests().slice(1)).toEqual(before.slice(1))
    expect(verifier.keyStatus().notReady).toEqual([])
  })
})

describe('Requirement.issuers on a route', () => {
  let urls: Record<'express' | 'koa' | 'fastify', string>
  const closers: Array<() => Promise<unknown>> = []

  beforeEach(async () => {
    const onlyOwn = { issuers: [own.issuer], scopes: ['orders:read'] }

    const expressApp = express()
    const expressGuard = createExpressGuard(verifier)
    expressApp.get('/orders', expressGuard.require(onlyOwn), (req, res) =>
      res.json({ issuer: req.auth.issuer }),
    )
    expressApp.get('/any', expressGuard.require(), (req, res) => res.json({ issuer: req.auth.issuer }))

    const koaApp = new Koa()
    const koaGuard = createKoaGuard(verifier)
    const router = new Router()
    router.get('/orders', koaGuard.require(onlyOwn), (ctx) => {
      ctx.body = { issuer: ctx.state.auth.issuer }
    })
    router.get('/any', koaGuard.require(), (ctx) => {
      ctx.body = { issuer: ctx.state.auth.issuer }
    })
    koaApp.use(router.routes())

    const fastifyApp = fastify()
    await fastifyApp.register(m2mGuard, { verifier })
    fastifyApp.get('/orders', { config: { m2m: onlyOwn } }, (request) => ({ issuer: request.auth.issuer }))
    fastifyApp.get('/any', { config: { m2m: {} } }, (request) => ({ issuer: request.auth.issuer }))
    await fastifyApp.listen({ host: '127.0.0.1', port: 0 })
    closers.push(() => fastifyApp.close())

    const listen = async (handler: Parameters<typeof import('node:http').createServer>[1]) => {
      const { createServer } = await import('node:http')
      const server = createServer(handler)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      closers.push(() => new Promise((resolve) => server.close(resolve)))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }
    urls = {
      express: await listen(expressApp),
      koa: await listen(koaApp.callback()),
      fastify: `http://127.0.0.1:${(fastifyApp.server.address() as AddressInfo).port}`,
    }
  })
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  it.each(['express', 'koa', 'fastify'] as const)(
    '%s: 200 for the named issuer, 403 issuer_not_allowed for another',
    async (adapter) => {
      const get = (path: string, token: string) =>
        fetch(`${urls[adapter]}${path}`, { headers: { authorization: `Bearer ${token}` } })
      const ownToken = await own.mint({ scope: 'orders:read' })
      const partnerToken = await partner.mint({ scope: 'orders:read' })

      const allowed = await get('/orders', ownToken)
      expect(allowed.status).toBe(200)
      expect(await allowed.json()).toEqual({ issuer: own.issuer })

      const refused = await get('/orders', partnerToken)
      expect(refused.status).toBe(403)
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/)
      expect(await refused.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'tokens of this issuer are not accepted for this resource',
      })

      // A route without the limit accepts every configured issuer.
      expect(await (await get('/any', partnerToken)).json()).toEqual({ issuer: partner.issuer })
    },
  )

  it('a route naming an issuer the verifier does not accept fails when declared, on every adapter', async () => {
    const typo = { issuers: ['https://typo.example'] }
    expect(() => createExpressGuard(verifier).require(typo)).toThrow(TypeError)
    expect(() => createKoaGuard(verifier).require(typo)).toThrow(TypeError)
    const app = fastify()
    await app.register(m2mGuard, { verifier })
    expect(() => app.m2mGuard.require(typo)).toThrow(/not an issuer this verifier accepts/)
    await app.close()
  })
})
