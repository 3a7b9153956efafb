/**
 * `M2mGuardModule.forRoot(options)` / `forRootAsync({ useFactory, inject, imports })`:
 * one verifier for the app and the global deny-by-default guard.
 */
import type { Verifier, VerifierOptions } from '@m2m-guard/core'
import { resolveGuardOptions } from '@m2m-guard/core/adapter'
import { ConfigurableModuleBuilder, Global, Module } from '@nestjs/common'
import { APP_GUARD, DiscoveryModule } from '@nestjs/core'
import { DeclaredRoutes } from './declared-routes.js'
import { M2mGuard } from './guard.js'
import { ResourceMetadataRoute } from './metadata-route.js'
import { M2M_GUARD_VERIFIER } from './tokens.js'

/**
 * Options of {@link M2mGuardModule}: the options of core's `createVerifier`
 * (`issuer`, `audience`, …), or `{ verifier }` to share a `Verifier` (and its
 * key cache) with other code.
 *
 * @example
 * const options: M2mGuardModuleOptions = { issuer: 'https://auth.example.com', audience: 'https://orders.example.com' }
 */
export type M2mGuardModuleOptions = VerifierOptions | { verifier: Verifier }

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<M2mGuardModuleOptions>({
    moduleName: 'M2mGuard',
  })
    .setClassMethodName('forRoot')
    .build()

/** Injection token of the options given to `forRoot` / returned by `forRootAsync`'s factory. */
export const M2M_GUARD_OPTIONS: string | symbol = MODULE_OPTIONS_TOKEN

/**
 * Protects every HTTP route of the app: a request needs a valid token unless
 * the route is `@Public()`. Import it once, in the root module. Bad options
 * stop start-up with a TypeError that names the option. With the verifier's
 * `resourceMetadata` option, it also serves the RFC 9728 metadata.
 *
 * @example
 * @Module({
 *   imports: [
 *     M2mGuardModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({
 *         issuer: config.getOrThrow('OAUTH_ISSUER'),
 *         audience: config.getOrThrow('OAUTH_AUDIENCE'),
 *       }),
 *     }),
 *   ],
 *   controllers: [OrdersController],
 * })
 * export class AppModule {}
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: M2M_GUARD_VERIFIER,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: M2mGuardModuleOptions): Verifier => resolveModuleOptions(options),
    },
    { provide: APP_GUARD, useClass: M2mGuard },
    DeclaredRoutes,
    ResourceMetadataRoute,
  ],
  exports: [M2M_GUARD_VERIFIER],
})
export class M2mGuardModule extends ConfigurableModuleClass {}

function resolveModuleOptions(options: unknown): Verifier {
  if (typeof options === 'object' && options !== null && 'onError' in options) {
    // Nest apps shape refusals with exception filters; the adapters' onError has no meaning here.
    throw new TypeError('"onError" option is not supported by M2mGuardModule: use an exception filter')
  }
  return resolveGuardOptions(options, ['respond']).verifier
}
