/**
 * RFC 9728 through the module: with the verifier's `resourceMetadata`
 * option, the metadata is served at its well-known path on both platforms,
 * without a token, listing the scopes the app's routes declare; every
 * challenge points to it.
 */
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forRoot, type Platform, type RunningApp, startApp } from './apps.js'

const AUDIENCE = 'https://orders.example/v1'
const WELL_KNOWN = '/.well-known/oauth-protected-resource/v1'
let issuer: AuthServer
beforeAll(async () => {
  issuer = await createAuthServer({ audience: AUDIENCE })
})
afterAll(() => issuer.close())

describe.each<Platform>(['express', 'fastify'])('on %s', (platform) => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp(
      platform,
      forRoot({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        jwksUri: issuer.jwksUri,
        resourceMetadata: { resource: AUDIENCE, resourceName: 'Orders API' },
      }),
    )
  })
  afterAll(() => app.close())

  it('serves the metadata without a token, with the scopes the routes declare', async () => {
    const response = await request(app.url).get(WELL_KNOWN)
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(response.body).toEqual({
      resource: AUDIENCE,
      authorization_servers: [issuer.issuer],
      // Declared by the controllers of apps.ts, public handlers excepted.
      scopes_supported: [
        'orders:read',
        'orders:write',
        'orders:admin',
        'invoices:read',
        'docs:write',
        'reports:read',
      ],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders API',
    })
  })

  it('points every challenge to it', async () => {
    const response = await request(app.url).get('/plain')
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="https://orders.example${WELL_KNOWN}"`,
    )
  })
})

it('serves nothing without the option', async () => {
  const app = await startApp(
    'express',
    forRoot({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri }),
  )
  try {
    expect((await request(app.url).get(WELL_KNOWN)).status).toBe(404)
  } finally {
    await app.close()
  }
})
