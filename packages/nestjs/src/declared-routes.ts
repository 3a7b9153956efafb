/**
 * At start-up, tells the verifier every requirement the app's controllers
 * declare: the verifier checks them against its configuration (a bad one
 * stops start-up) and lists their scopes in its RFC 9728 metadata. The
 * decorators run before any verifier exists, so this happens once Nest has
 * instantiated the controllers.
 */
import type { Verifier } from '@m2m-guard/core'
import { declareRequirement } from '@m2m-guard/core/adapter'
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common'
import { DiscoveryService } from '@nestjs/core'
import { routePolicy } from './metadata.js'
import { M2M_GUARD_VERIFIER } from './tokens.js'

/**
 * Installed by `M2mGuardModule`; declares each route's requirements on init.
 *
 * @example
 * // Inside the module, as installed:
 * providers: [DeclaredRoutes]
 */
@Injectable()
export class DeclaredRoutes implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(M2M_GUARD_VERIFIER) private readonly verifier: Verifier,
  ) {}

  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function') continue
      for (const handler of handlers(metatype)) {
        const { isPublic, requirements } = routePolicy(metatype, handler)
        if (!isPublic) for (const requirement of requirements) declareRequirement(this.verifier, requirement)
      }
    }
  }
}

/** The methods of a controller class, its base classes' included. */
function handlers(controller: { prototype: unknown }): object[] {
  const found: object[] = []
  for (
    let proto = controller.prototype;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value = Object.getOwnPropertyDescriptor(proto, name)?.value
      if (name !== 'constructor' && typeof value === 'function') found.push(value)
    }
  }
  return found
}
