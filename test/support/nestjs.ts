/**
 * The scenario service as a NestJS app, on either platform: the same routes
 * and requirements as ROUTES and DECLARED in services.ts, written with the
 * module's decorators as users write them. One app has one verifier, so
 * `/cold` is a second app; both are initialised without listening, and one
 * Node server on 127.0.0.1:0 hands each request to the app its path belongs to.
 */
import type { RequestListener } from 'node:http'
import {
  AllowClients,
  Auth,
  type AuthResult,
  M2mGuardModule,
  RequireAnyScope,
  RequireScopes,
  type Verifier,
} from '@m2m-guard/nestjs'
import { Controller, Get, type INestApplication, Module, Post } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'

export type NestPlatform = 'express' | 'fastify'

/** What a Nest service needs from services.ts: where handlers record that they ran, and the answer they give. */
export interface NestRoutes {
  calls: string[]
  answer(auth: AuthResult): unknown
}

function controllers({ calls, answer }: NestRoutes) {
  const ran = (path: string, auth: AuthResult) => {
    calls.push(path)
    return answer(auth)
  }

  @Controller()
  class ScenarioController {
    @RequireScopes('orders:read')
    @Get('orders')
    orders(@Auth() auth: AuthResult) {
      return ran('/orders', auth)
    }

    @RequireAnyScope('reports:read', 'reports:admin')
    @Get('reports')
    reports(@Auth() auth: AuthResult) {
      return ran('/reports', auth)
    }

    @AllowClients('ops-console')
    @Get('admin')
    admin(@Auth() auth: AuthResult) {
      return ran('/admin', auth)
    }

    // No decorator: the global guard authenticates only.
    @Get('me')
    me(@Auth() auth: AuthResult) {
      return ran('/me', auth)
    }

    @Get('declared')
    @RequireScopes('orders:read')
    @AllowClients('billing')
    declared(@Auth() auth: AuthResult) {
      return ran('/declared', auth)
    }
  }

  /** ROUTES['/stacked']: authenticated (by the global guard), then orders:write from the controller. */
  @RequireScopes('orders:write')
  @Controller('stacked')
  class StackedController {
    @Get()
    stacked(@Auth() auth: AuthResult) {
      return ran('/stacked', auth)
    }
  }

  @Controller('cold')
  class ColdController {
    @Get()
    cold(@Auth() auth: AuthResult) {
      return ran('/cold', auth)
    }
  }

  return { main: [ScenarioController, StackedController], cold: [ColdController] }
}

async function nestApp(
  platform: NestPlatform,
  verifier: Verifier,
  controllers: Array<new () => unknown>,
): Promise<{ app: INestApplication; listener: RequestListener }> {
  @Module({ imports: [M2mGuardModule.forRoot({ verifier })], controllers })
  class AppModule {}
  if (platform === 'express') {
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false })
    await app.init()
    return { app, listener: app.getHttpAdapter().getInstance() }
  }
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
  await app.init()
  const fastify = app.getHttpAdapter().getInstance()
  await fastify.ready() // listen() would call it; init() does not
  // Fastify's own request handler, the one its server would call.
  return { app, listener: fastify.routing }
}

/**
 * Starts the main and the cold app; returns one request listener for both,
 * and a function that closes them.
 */
export async function nestService(
  platform: NestPlatform,
  verifiers: { main: Verifier; cold: Verifier },
  routes: NestRoutes,
): Promise<{ listener: RequestListener; close(): Promise<void> }> {
  const { main, cold } = controllers(routes)
  const apps = [await nestApp(platform, verifiers.main, main), await nestApp(platform, verifiers.cold, cold)]
  const [mainApp, coldApp] = apps as [(typeof apps)[0], (typeof apps)[0]]
  return {
    listener: (req, res) => (req.url?.startsWith('/cold') ? coldApp : mainApp).listener(req, res),
    close: async () => {
      await Promise.all(apps.map(({ app }) => app.close()))
    },
  }
}

/** resource-metadata.test.ts's app: GET /v1/orders needs orders:read, POST any of orders:write, orders:admin. */
@Controller('v1/orders')
class MetadataOrdersController {
  @RequireScopes('orders:read')
  @Get()
  list() {
    return { ok: true }
  }

  @RequireAnyScope('orders:write', 'orders:admin')
  @Post()
  create() {
    return { ok: true }
  }
}

/**
 * The app of resource-metadata.test.ts on `platform`, not listening: its
 * request listener, and a function that closes it.
 *
 * @example
 * const { listener, close } = await nestMetadataApp('fastify', verifier)
 */
export async function nestMetadataApp(
  platform: NestPlatform,
  verifier: Verifier,
): Promise<{ listener: RequestListener; close(): Promise<void> }> {
  const { app, listener } = await nestApp(platform, verifier, [MetadataOrdersController])
  return { listener, close: () => app.close() }
}
