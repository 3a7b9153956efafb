/**
 * @m2m-guard/nestjs: a NestJS module whose global guard admits only requests
 * carrying a valid client-credentials access token, with per-route scope and
 * client requirements as decorators. Express and Fastify platforms.
 *
 * @example
 * import { Controller, Get, Module } from '@nestjs/common'
 * import { Auth, type AuthResult, M2mGuardModule, Public, RequireScopes } from '@m2m-guard/nestjs'
 *
 * @Controller('orders')
 * class OrdersController {
 *   @RequireScopes('orders:read')
 *   @Get()
 *   list(@Auth() auth: AuthResult) { return { client: auth.clientId } }
 *
 *   @Public()
 *   @Get('health')
 *   health() { return { ok: true } }
 * }
 *
 * @Module({
 *   imports: [M2mGuardModule.forRoot({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })],
 *   controllers: [OrdersController],
 * })
 * export class AppModule {}
 */
export { AuthError, type AuthResult, type Requirement, type Verifier } from '@m2m-guard/core'
export { Auth } from './auth.js'
export { M2mAuthException } from './exception.js'
export { M2mGuard } from './guard.js'
export {
  AllowClients,
  AllowIssuers,
  type ClassOrMethodDecorator,
  IS_PUBLIC_KEY,
  Public,
  REQUIREMENTS_KEY,
  RequireAnyScope,
  RequireScopes,
} from './metadata.js'
export { M2M_GUARD_OPTIONS, M2mGuardModule, type M2mGuardModuleOptions } from './module.js'
export { M2M_GUARD_VERIFIER } from './tokens.js'
