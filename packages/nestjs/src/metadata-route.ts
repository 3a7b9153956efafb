/**
 * RFC 9728: when the verifier has the `resourceMetadata` option, the module
 * serves its document at the well-known path (`GET`, JSON), on the
 * platform's own router, outside Nest's controllers: no guard, no global
 * prefix (the path comes from the resource URL), on Express and Fastify alike.
 */
import type { Verifier } from '@m2m-guard/core'
import { resourceMetadataRoute } from '@m2m-guard/core/adapter'
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { M2M_GUARD_VERIFIER } from './tokens.js'

/**
 * Installed by `M2mGuardModule`; registers the metadata route on init.
 *
 * @example
 * // Inside the module, as installed:
 * providers: [ResourceMetadataRoute]
 */
@Injectable()
export class ResourceMetadataRoute implements OnModuleInit {
  constructor(
    @Inject(M2M_GUARD_VERIFIER) private readonly verifier: Verifier,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const route = resourceMetadataRoute(this.verifier)
    // Without an HTTP adapter (a standalone application context) there is nothing to serve on.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined
    if (route === undefined || adapter === undefined) return
    adapter.get(route.path, (_request: unknown, response: unknown) => {
      // Built per request: its scopes_supported lists what the routes declared.
      adapter.reply(response, route.document(), 200)
    })
  }
}
