/**
 * With several issuers: @AllowIssuers limits a route to some of them, and a
 * requirement naming an issuer the verifier does not accept stops start-up,
 * because the module declares every route's requirements when the app starts.
 */
import { AllowIssuers, Auth, type AuthResult, M2mGuardModule, RequireScopes } from '@m2m-guard/nestjs'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const AUDIENCE = 'https://orders.example'
let partner: AuthServer
let own: AuthServer
beforeAll(async () => {
  ;[own, partner] = await Promise.all([
    createAuthServer({ audience: AUDIENCE }),
    createAuthServer({ audience: AUDIENCE, issuerPath: '/partner' }),
  ])
})
afterAll(() => Promise.all([own.close(), partner.close()]))

const issuers = () => [
  { issuer: own.issuer, audience: AUDIENCE, jwksUri: own.jwksUri },
  { issuer: partner.issuer, audience: AUDIENCE, jwksUri: partner.jwksUri },
]

async function start(controller: new () => unknown) {
  @Module({ imports: [M2mGuardModule.forRoot({ issuers: issuers() })], controllers: [controller] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false })
  await app.listen(0, '127.0.0.1')
  return app
}

describe('@AllowIssuers', () => {
  it('refuses tokens of the other issuers with 403, and lets its own through', async () => {
    // Declared here, once the issuers have started and their URLs are known.
    @Controller()
    class InternalController {
      @AllowIssuers(own.issuer)
      @Get('internal')
      internal(@Auth() auth: AuthResult) {
        return { issuer: auth.issuer }
      }
    }
    const app = await start(InternalController)
    try {
      const server = app.getHttpServer()
      const mine = await request(server)
        .get('/internal')
        .set('Authorization', `Bearer ${await own.mint({ client_id: 'billing' })}`)
      expect(mine.status).toBe(200)
      expect(mine.body).toEqual({ issuer: own.issuer })
      const theirs = await request(server)
        .get('/internal')
        .set('Authorization', `Bearer ${await partner.mint({ client_id: 'billing' })}`)
      expect(theirs.status).toBe(403)
      expect(theirs.body).toEqual({
        error: 'insufficient_scope',
        error_description: 'tokens of this issuer are not accepted for this resource',
      })
    } finally {
      await app.close()
    }
  })

  it('stops start-up when a route names an issuer the verifier does not accept', async () => {
    @Controller()
    class StrayController {
      @RequireScopes('orders:read')
      @AllowIssuers('https://stranger.example')
      @Get('stray')
      stray() {}
    }
    await expect(start(StrayController)).rejects.toThrow(
      'requirement "issuers" entry "https://stranger.example" is not an issuer this verifier accepts',
    )
  })
})
