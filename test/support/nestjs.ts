/**
 * The scenario service as a NestJS app, on either platform: the same routes
 * and requirements as ROUTES and DECLARED in services.ts, written with the
 * module's decorators as users write them. One app has one verifier, so
 * `/cold` and each sender-constrained route (`/dpop`, `/mtls`, …) are apps of
 * their own; all are initialised without listening, and one Node server on
 * 127.0.0.1:0 (HTTPS when asked) hands each request to the app its path belongs to.
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
import { Controller, Get, HttpCode, type INestApplication, Module, Post } from '@nestjs/common'
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

  /** A sender-constrained route: GET and POST, orders:read, behind the route's own verifier. */
  const bound = (path: string) => {
    @RequireScopes('orders:read')
    @Controller(path.slice(1))
    class BoundController {
      @Get()
      get(@Auth() auth: AuthResult) {
        return ran(path, auth)
      }

      // The other adapters' POST answers 200; Nest's default for POST is 201.
      @HttpCode(200)
      @Post()
      post(@Auth() auth: AuthResult) {
        return ran(path, auth)
      }
    }
    return [BoundController]
  }

  return { main: [ScenarioController, StackedController], cold: [ColdController], bound }
}

/** How the service listens, as services.ts's ServiceOptions: only the framework's trust-proxy setting matters here. */
export interface NestAppOptions {
  readonly trustProxy?: boolean | undefined
}

async function nestApp(
  platform: NestPlatform,
  verifier: Verifier,
  controllers: Array<new () => unknown>,
  options: NestAppOptions = {},
): Promise<{ app: INestApplication; listener: RequestListener }> {
  @Module({ imports: [M2mGuardModule.forRoot({ verifier })], controllers })
  class AppModule {}
  const trustProxy = options.trustProxy === true
  if (platform === 'express') {
    const adapter = new ExpressAdapter()
    if (trustProxy) adapter.set('trust proxy', true)
    const app = await NestFactory.create(AppModule, adapter, { logger: false })
    await app.init()
    return { app, listener: app.getHttpAdapter().getInstance() }
  }
  const app = await NestFactory.create(AppModule, new FastifyAdapter({ trustProxy }), { logger: false })
  await app.init()
  const fastify = app.getHttpAdapter().getInstance()
  await fastify.ready() // listen() would call it; init() does not
  // Fastify's own request handler, the one its server would call.
  return { app, listener: fastify.routing }
}

/**
 * Starts the main app, the cold one and one per bound route; returns one
 * request listener for all, and a function that closes them.
 */
export async function nestService(
  platform: NestPlatform,
  verifiers: { main: Verifier; cold: Verifier; bound?: Partial<Record<string, Verifier>> },
  routes: NestRoutes,
  options: NestAppOptions = {},
): Promise<{ listener: RequestListener; close(): Promise<void> }> {
  const { main, cold, bound } = controllers(routes)
  const mainApp = await nestApp(platform, verifiers.main, main, options)
  // First path segment → the app that serves it; everything else goes to the main app.
  const byPrefix = new Map([['/cold', await nestApp(platform, verifiers.cold, cold, options)]])
  for (const [path, verifier] of Object.entries(verifiers.bound ?? {})) {
    if (verifier !== undefined) byPrefix.set(path, await nestApp(platform, verifier, bound(path), options))
  }
  const apps = [mainApp, ...byPrefix.values()]
  return {
    listener: (req, res) => {
      const prefix = /^\/[^/?]*/.exec(req.url ?? '')?.[0] ?? ''
      ;(byPrefix.get(prefix) ?? mainApp).listener(req, res)
    },
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
