/**
 * A small Nest app on both platforms, listening on 127.0.0.1:0, written as
 * users write one: decorators on controllers, the module in the root module.
 * Every handler records that it ran, so a test can prove a refusal never
 * reached it.
 */
import {
  AllowClients,
  Auth,
  type AuthResult,
  M2mGuardModule,
  type M2mGuardModuleOptions,
  Public,
  RequireAnyScope,
  RequireScopes,
} from '@m2m-guard/nestjs'
import { Controller, type DynamicModule, Get, type INestApplication, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'

export const calls: string[] = []
const answer = (path: string, auth: AuthResult) => {
  calls.push(path)
  return { clientId: auth.clientId, scopes: auth.scopes }
}

@Controller()
class OpenController {
  @Get('plain')
  plain(@Auth() auth: AuthResult) {
    return answer('/plain', auth)
  }

  @Public()
  @Get('health')
  health() {
    calls.push('/health')
    return { ok: true }
  }

  @RequireScopes('orders:read')
  @RequireAnyScope('orders:write', 'orders:admin')
  @Get('both-decorators')
  both(@Auth() auth: AuthResult) {
    return answer('/both-decorators', auth)
  }
}

/** Controller-level requirement merged with each handler's. */
@AllowClients('billing', 'ops-console')
@Controller('billing')
class BillingController {
  @Get('any')
  any(@Auth() auth: AuthResult) {
    return answer('/billing/any', auth)
  }

  @RequireScopes('invoices:read')
  @Get('invoices')
  invoices(@Auth() auth: AuthResult) {
    return answer('/billing/invoices', auth)
  }

  @Public()
  @Get('status')
  status() {
    calls.push('/billing/status')
    return { ok: true }
  }
}

/** A public controller: its handlers are open unless they declare a requirement. */
@Public()
@Controller('docs')
class DocsController {
  @Get('index')
  index() {
    calls.push('/docs/index')
    return { ok: true }
  }

  @RequireScopes('docs:write')
  @Get('drafts')
  drafts(@Auth() auth: AuthResult) {
    return answer('/docs/drafts', auth)
  }

  @Get('who')
  who(@Auth() auth: AuthResult) {
    return answer('/docs/who', auth)
  }
}

/** Requirements of a base class hold for the controllers derived from it. */
@AllowClients('ops-console')
class AdminBase {}

@RequireScopes('orders:admin')
@Controller('admin')
class AdminController extends AdminBase {
  @Get('reindex')
  reindex(@Auth() auth: AuthResult) {
    return answer('/admin/reindex', auth)
  }
}

/** A public base class: a derived controller's own requirement still holds (the stricter wins). */
@Public()
class PublicBase {}

@RequireScopes('reports:read')
@Controller('reports')
class ReportsController extends PublicBase {
  @Get('daily')
  daily(@Auth() auth: AuthResult) {
    return answer('/reports/daily', auth)
  }
}

/** A protected base class: a derived controller marked @Public() does not open its routes. */
@AllowClients('ops-console')
class ProtectedBase {}

@Public()
@Controller('ops')
class OpsController extends ProtectedBase {
  @Get('queue')
  queue(@Auth() auth: AuthResult) {
    return answer('/ops/queue', auth)
  }
}

/** A base class whose handler is @Public(); a derived controller with a requirement closes it. */
class StatusBase {
  @Public()
  @Get('status')
  status() {
    calls.push('/internal/status')
    return { ok: true }
  }
}

@AllowClients('ops-console')
@Controller('internal')
class InternalController extends StatusBase {}

export const CONTROLLERS = [
  OpenController,
  BillingController,
  DocsController,
  AdminController,
  ReportsController,
  OpsController,
  InternalController,
]

export type Platform = 'express' | 'fastify'

export interface RunningApp {
  readonly url: string
  readonly app: INestApplication
  close(): Promise<void>
}

/** Starts the app with `guardModule` (forRoot or forRootAsync) on `platform`. */
export async function startApp(platform: Platform, guardModule: DynamicModule): Promise<RunningApp> {
  @Module({ imports: [guardModule], controllers: CONTROLLERS })
  class AppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(AppModule, adapter, { logger: false, abortOnError: false })
  await app.listen(0, '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  return { url, app, close: () => app.close() }
}

export const forRoot = (options: M2mGuardModuleOptions): DynamicModule => M2mGuardModule.forRoot(options)
