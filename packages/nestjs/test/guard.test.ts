/**
 * The module and its global guard in real Nest apps on both platforms,
 * against tokens from the local authorization server.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createVerifier, type Verifier } from '@m2m-guard/core'
import { M2M_GUARD_VERIFIER, M2mGuardModule } from '@m2m-guard/nestjs'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { Injectable, Module } from '@nestjs/common'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calls, forRoot, type Platform, type RunningApp, startApp } from './apps.js'

const AUDIENCE = 'https://orders.example'
let issuer: AuthServer
beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

const bearer = async (claims: Record<string, unknown>) =>
  `Bearer ${await issuer.mint({ client_id: 'billing', ...claims })}`
const options = () => ({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri })

async function get(app: RunningApp, path: string, authorization?: string) {
  const before = calls.length
  const call = request(app.url).get(path)
  if (authorization !== undefined) call.set('Authorization', authorization)
  const response = await call
  return { response, ran: calls.slice(before) }
}

describe.each<Platform>(['express', 'fastify'])('on %s', (platform) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(platform, forRoot(options()))
  })
  afterAll(() => app.close())

  it('denies by default: a route without decorators needs a valid token', async () => {
    const { response, ran } = await get(app, '/plain')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe('Bearer')
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.body).toEqual({ error: 'unauthorized', error_description: 'authentication required' })
    expect(ran).toEqual([])

    const ok = await get(app, '/plain', await bearer({ scope: 'a b' }))
    expect(ok.response.status).toBe(200)
    expect(ok.response.body).toEqual({ clientId: 'billing', scopes: ['a', 'b'] })
    expect(ok.ran).toEqual(['/plain'])
  })

  it('@Public() opens a handler, and a public controller', async () => {
    expect((await get(app, '/health')).response.body).toEqual({ ok: true })
    expect((await get(app, '/billing/status')).response.status).toBe(200)
    expect((await get(app, '/docs/index')).ran).toEqual(['/docs/index'])
  })

  it('a handler with a requirement stays protected in a @Public() controller', async () => {
    expect((await get(app, '/docs/drafts')).response.status).toBe(401)
    const refused = await get(app, '/docs/drafts', await bearer({ scope: 'docs:read' }))
    expect(refused.response.status).toBe(403)
    expect(refused.ran).toEqual([])
    const ok = await get(app, '/docs/drafts', await bearer({ scope: 'docs:write' }))
    expect(ok.response.status).toBe(200)
  })

  it('@Auth() on a public handler fails the route instead of passing undefined', async () => {
    const { response, ran } = await get(app, '/docs/who', await bearer({}))
    expect(response.status).toBe(500)
    expect(ran).toEqual([])
  })

  it('every decorator on a handler must hold', async () => {
    const path = '/both-decorators'
    const neither = await get(app, path, await bearer({ scope: 'reports:read' }))
    // Checked in the order written: @RequireScopes first.
    expect(neither.response.body.error_description).toBe('missing required scope: orders:read')
    const noAnyOf = await get(app, path, await bearer({ scope: 'orders:read' }))
    expect(noAnyOf.response.status).toBe(403)
    expect(noAnyOf.response.body.error_description).toBe(
      'requires one of the scopes: orders:write orders:admin',
    )
    const noAllOf = await get(app, path, await bearer({ scope: 'orders:admin' }))
    expect(noAllOf.response.body.error_description).toBe('missing required scope: orders:read')
    expect(noAllOf.response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"',
    )
    expect([noAnyOf.ran, noAllOf.ran]).toEqual([[], []])
    const ok = await get(app, path, await bearer({ scope: 'orders:read orders:admin' }))
    expect(ok.response.status).toBe(200)
  })

  it("merges the controller's requirement with the handler's", async () => {
    const stranger = await get(
      app,
      '/billing/invoices',
      await bearer({ client_id: 'reporting', scope: 'invoices:read' }),
    )
    expect(stranger.response.status).toBe(403)
    expect(stranger.response.body).toEqual({
      error: 'insufficient_scope',
      error_description: "client 'reporting' is not allowed to access this resource",
    })
    const noScope = await get(app, '/billing/invoices', await bearer({ client_id: 'ops-console' }))
    expect(noScope.response.body.error_description).toBe('missing required scope: invoices:read')
    expect((await get(app, '/billing/any', await bearer({ client_id: 'reporting' }))).response.status).toBe(
      403,
    )
    const ok = await get(
      app,
      '/billing/invoices',
      await bearer({ client_id: 'ops-console', scope: 'invoices:read' }),
    )
    expect(ok.response.body).toEqual({ clientId: 'ops-console', scopes: ['invoices:read'] })
    expect(ok.ran).toEqual(['/billing/invoices'])
  })

  it("checks a base class's requirement, then the derived controller's, in that order", async () => {
    const neither = await get(
      app,
      '/admin/reindex',
      await bearer({ client_id: 'billing', scope: 'orders:read' }),
    )
    expect(neither.response.body.error_description).toBe(
      "client 'billing' is not allowed to access this resource",
    )
    const noScope = await get(app, '/admin/reindex', await bearer({ client_id: 'ops-console' }))
    expect(noScope.response.body.error_description).toBe('missing required scope: orders:admin')
    expect([neither.ran, noScope.ran]).toEqual([[], []])
    const ok = await get(
      app,
      '/admin/reindex',
      await bearer({ client_id: 'ops-console', scope: 'orders:admin' }),
    )
    expect(ok.response.status).toBe(200)
  })

  it('@Public() inherited from a base class, or on a class over a protected base, opens nothing a requirement protects', async () => {
    for (const path of ['/reports/daily', '/ops/queue']) {
      const anonymous = await get(app, path)
      expect(anonymous.response.status).toBe(401)
      expect(anonymous.ran).toEqual([])
    }
    const noScope = await get(app, '/reports/daily', await bearer({ scope: 'orders:read' }))
    expect(noScope.response.status).toBe(403)
    expect((await get(app, '/reports/daily', await bearer({ scope: 'reports:read' }))).ran).toEqual([
      '/reports/daily',
    ])
    // A handler's @Public() in a base class does not open it in a derived controller that requires a client.
    expect((await get(app, '/internal/status')).response.status).toBe(401)
    expect((await get(app, '/internal/status', await bearer({}))).response.status).toBe(403)
    expect((await get(app, '/internal/status', await bearer({ client_id: 'ops-console' }))).ran).toEqual([
      '/internal/status',
    ])
    expect((await get(app, '/ops/queue', await bearer({}))).response.status).toBe(403)
    expect((await get(app, '/ops/queue', await bearer({ client_id: 'ops-console' }))).ran).toEqual([
      '/ops/queue',
    ])
  })

  it('answers hostile Authorization headers with 400 or 401, never 500', async () => {
    const token = await issuer.mint({ client_id: 'billing' })
    const [head = '', payload = ''] = token.split('.')
    const hostile = [
      'Bearer',
      'Bearer ',
      'bearer    ',
      `Bearer ${token} ${token}`,
      `Bearer ${head}.${payload}.`,
      `Bearer ${head}.${payload}`,
      `Bearer ${'A'.repeat(12_000)}`,
      'Bearer e30.e30.e30',
      `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`,
      'DPoP abc',
      'Bearer \u00ff\u00fe',
      ',,,',
    ]
    for (const value of hostile) {
      const { response, ran } = await get(app, '/plain', value)
      expect([400, 401], value.slice(0, 40)).toContain(response.status)
      expect(response.body.error).toMatch(/^(invalid_request|invalid_token|unauthorized)$/)
      expect(ran).toEqual([])
    }
  })
})

describe('M2mGuardModule', () => {
  const unreachable = async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    return `http://127.0.0.1:${port}/jwks`
  }

  it.each<Platform>(['express', 'fastify'])(
    'answers 503 with Retry-After when no keys can be had (%s)',
    async (platform) => {
      const app = await startApp(platform, forRoot({ ...options(), jwksUri: await unreachable() }))
      try {
        const { response, ran } = await get(app, '/plain', await bearer({}))
        expect(response.status).toBe(503)
        expect(response.headers['retry-after']).toBe('30')
        expect(response.headers['www-authenticate']).toBeUndefined()
        expect(response.body).toEqual({
          error: 'temporarily_unavailable',
          error_description: 'signing keys are temporarily unavailable',
        })
        expect(ran).toEqual([])
      } finally {
        await app.close()
      }
    },
  )

  it('forRootAsync takes a factory with injected providers from imported modules', async () => {
    @Injectable()
    class Settings {
      readonly issuer = issuer.issuer
      readonly jwksUri = issuer.jwksUri
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}

    const app = await startApp(
      'express',
      M2mGuardModule.forRootAsync({
        imports: [SettingsModule],
        inject: [Settings],
        useFactory: (settings: Settings) => ({
          issuer: settings.issuer,
          audience: AUDIENCE,
          jwksUri: settings.jwksUri,
        }),
      }),
    )
    try {
      expect((await get(app, '/plain')).response.status).toBe(401)
      expect((await get(app, '/plain', await bearer({}))).response.status).toBe(200)
      const verifier = app.app.get<Verifier>(M2M_GUARD_VERIFIER)
      expect(verifier.keyStatus().ready).toBe(true)
    } finally {
      await app.close()
    }
  })

  it("counts every requirement of a route in the usage report, the controller's and the handler's", async () => {
    const app = await startApp('express', forRoot({ ...options(), usage: true }))
    try {
      const token = await bearer({ scope: 'invoices:read orders:write' })
      expect((await get(app, '/billing/invoices', token)).response.status).toBe(200)
      const verifier = app.app.get<Verifier>(M2M_GUARD_VERIFIER)
      const [client] = verifier.usage().clients
      expect(client).toMatchObject({
        clientId: 'billing',
        usedScopes: ['invoices:read'],
        unusedScopes: ['orders:write'],
      })
    } finally {
      await app.close()
    }
  })

  it('uses a given Verifier, and exports it to the app', async () => {
    const verifier = createVerifier(options())
    const app = await startApp('fastify', forRoot({ verifier }))
    try {
      expect(app.app.get(M2M_GUARD_VERIFIER)).toBe(verifier)
      expect((await get(app, '/plain', await bearer({}))).response.status).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('stops start-up with a TypeError naming a bad option', async () => {
    await expect(startApp('express', forRoot({ ...options(), audiences: [] } as never))).rejects.toThrow(
      'unknown option "audiences"',
    )
    await expect(startApp('express', forRoot({ ...options(), onError: 'next' } as never))).rejects.toThrow(
      '"onError" option is not supported by M2mGuardModule',
    )
    await expect(startApp('express', forRoot({ verifier: {} } as never))).rejects.toThrow(
      '"verifier" option must be a Verifier',
    )
  })
})
