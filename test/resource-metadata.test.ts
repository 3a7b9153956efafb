/**
 * RFC 9728 through each adapter and supported major, against a real local
 * issuer: the metadata document served at its well-known path (path
 * insertion for a resource with a path) as `GET` JSON, other methods and
 * paths passed on, `scopes_supported` from the routes' declared
 * requirements, and `resource_metadata` in the challenges of real 401s and
 * 403s.
 */
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import Router from '@koa/router'
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { createGuard as createExpressGuard } from '@m2m-guard/express'
import m2mGuard from '@m2m-guard/fastify'
import { createGuard as createFetchGuard } from '@m2m-guard/fetch'
import { createGuard as createHonoGuard } from '@m2m-guard/hono'
import { createGuard as createKoaGuard } from '@m2m-guard/koa'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import express from 'express'
import express4 from 'express4'
import fastify from 'fastify'
import fastify4 from 'fastify4'
import { Hono } from 'hono'
import Koa from 'koa'
import Koa2 from 'koa2'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type NestPlatform, nestMetadataApp } from './support/nestjs.js'

const AUDIENCE = 'https://orders.example'
const RESOURCE = 'https://orders.example/v1'
const WELL_KNOWN = '/.well-known/oauth-protected-resource/v1'

let issuer: AuthServer
beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function listen(handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function newVerifier(): Verifier {
  return createVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    resourceMetadata: { resource: RESOURCE, resourceName: 'Orders API' },
  })
}

/** Starts an app with the metadata route and two guarded routes; returns its base URL. */
type Start = (verifier: Verifier) => Promise<string>

const starts: Record<string, Start> = {
  'express 5': (verifier) => startExpress(express, verifier),
  'express 4': (verifier) => startExpress(express4 as unknown as typeof express, verifier),
  'koa 3': (verifier) => startKoa(Koa, verifier),
  'koa 2': (verifier) => startKoa(Koa2 as unknown as typeof Koa, verifier),
  'fastify 5': (verifier) => startFastify(fastify, verifier),
  'fastify 4': (verifier) => startFastify(fastify4 as unknown as typeof fastify, verifier),
  hono: startHono,
  'fetch gate': startFetch,
  'nestjs express': (verifier) => startNest('express', verifier),
  'nestjs fastify': (verifier) => startNest('fastify', verifier),
}

function startExpress(app: typeof express, verifier: Verifier): Promise<string> {
  const guard = createExpressGuard(verifier)
  const server = app()
  server.use(guard.metadata())
  server.get('/v1/orders', guard.require({ scopes: ['orders:read'] }), (_req, res) => res.json({ ok: true }))
  server.post('/v1/orders', guard.require({ anyScopes: ['orders:write', 'orders:admin'] }), (_req, res) =>
    res.json({ ok: true }),
  )
  return listen(server)
}

function startKoa(App: typeof Koa, verifier: Verifier): Promise<string> {
  const guard = createKoaGuard(verifier)
  const router = new Router()
  router.get('/v1/orders', guard.require({ scopes: ['orders:read'] }), (ctx) => {
    ctx.body = { ok: true }
  })
  router.post('/v1/orders', guard.require({ anyScopes: ['orders:write', 'orders:admin'] }), (ctx) => {
    ctx.body = { ok: true }
  })
  const app = new App()
  app.use(guard.metadata())
  app.use(router.routes())
  return listen(app.callback())
}

function startHono(verifier: Verifier): Promise<string> {
  const guard = createHonoGuard(verifier)
  const app = new Hono()
  app.use(guard.metadata())
  app.get('/v1/orders', guard.require({ scopes: ['orders:read'] }), (c) => c.json({ ok: true }))
  app.post('/v1/orders', guard.require({ anyScopes: ['orders:write', 'orders:admin'] }), (c) =>
    c.json({ ok: true }),
  )
  return listen(getRequestListener(app.fetch))
}

function startFetch(verifier: Verifier): Promise<string> {
  const guard = createFetchGuard(verifier)
  const metadata = guard.metadata()
  const ok = () => Response.json({ ok: true })
  const read = guard.protect({ scopes: ['orders:read'] }, ok)
  const write = guard.protect({ anyScopes: ['orders:write', 'orders:admin'] }, ok)
  return listen(
    getRequestListener(async (request) => {
      const { pathname } = new URL(request.url)
      if (pathname === metadata.path && request.method === 'GET') return metadata(request)
      if (pathname === '/v1/orders') return request.method === 'POST' ? write(request) : read(request)
      return new Response('not found', { status: 404 })
    }),
  )
}

async function startNest(platform: NestPlatform, verifier: Verifier): Promise<string> {
  // The module serves the metadata itself when the verifier has the option.
  const { listener, close } = await nestMetadataApp(platform, verifier)
  closers.push(close)
  return listen(listener)
}

async function startFastify(create: typeof fastify, verifier: Verifier): Promise<string> {
  const app = create()
  await app.register(m2mGuard, { verifier })
  app.get('/v1/orders', { config: { m2m: { scopes: ['orders:read'] } } }, () => ({ ok: true }))
  app.post(
    '/v1/orders',
    { onRequest: app.m2mGuard.require({ anyScopes: ['orders:write', 'orders:admin'] }) },
    () => ({ ok: true }),
  )
  await app.listen({ host: '127.0.0.1', port: 0 })
  closers.push(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

describe.each(Object.keys(starts))('%s', (name) => {
  const start = starts[name] as Start

  it('serves the document at the path-inserted well-known URL, GET, application/json', async () => {
    const base = await start(newVerifier())
    const response = await fetch(`${base}${WELL_KNOWN}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['orders:read', 'orders:write', 'orders:admin'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders API',
    })
  })

  it('leaves other paths and methods alone', async () => {
    const base = await start(newVerifier())
    expect((await fetch(`${base}/.well-known/oauth-protected-resource`)).status).toBe(404)
    expect((await fetch(`${base}${WELL_KNOWN}`, { method: 'POST' })).status).toBe(404)
    const token = await issuer.mint({ scope: 'orders:read' })
    const orders = await fetch(`${base}/v1/orders`, { headers: { authorization: `Bearer ${token}` } })
    expect(orders.status).toBe(200)
  })

  it('points 401 and 403 challenges to the document', async () => {
    const base = await start(newVerifier())
    const pointer = `resource_metadata="https://orders.example${WELL_KNOWN}"`
    const missing = await fetch(`${base}/v1/orders`)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer ${pointer}`)
    const expired = await fetch(`${base}/v1/orders`, {
      headers: { authorization: `Bearer ${await issuer.mint({ scope: 'orders:read' }, { expiresIn: -60 })}` },
    })
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer error="invalid_token", .*, ${pointer}$`),
    )
    const forbidden = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.mint({ scope: 'orders:read' })}` },
    })
    expect(forbidden.status).toBe(403)
    expect(forbidden.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="requires one of the scopes: orders:write orders:admin", scope="orders:write orders:admin", ${pointer}`,
    )
  })
})

describe('without the resourceMetadata option', () => {
  const plain = () => createVerifier({ issuer: issuer.issuer, audience: AUDIENCE })

  it('Express, Koa, Hono and fetch guard.metadata() is a TypeError at start-up', () => {
    expect(() => createExpressGuard(plain()).metadata()).toThrow(/needs the "resourceMetadata" option/)
    expect(() => createKoaGuard(plain()).metadata()).toThrow(/needs the "resourceMetadata" option/)
    expect(() => createHonoGuard(plain()).metadata()).toThrow(/needs the "resourceMetadata" option/)
    expect(() => createFetchGuard(plain()).metadata()).toThrow(/needs the "resourceMetadata" option/)
  })

  it('Fastify registers no metadata route', async () => {
    const app = fastify()
    await app.register(m2mGuard, { verifier: plain() })
    const response = await app.inject({ method: 'GET', url: '/.well-known/oauth-protected-resource' })
    expect(response.statusCode).toBe(404)
    await app.close()
  })
})
