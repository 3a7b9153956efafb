import type { AuthResult as CoreAuthResult } from '@m2m-guard/core'
import {
  AllowClients,
  Auth,
  type AuthResult,
  M2mGuardModule,
  type M2mGuardModuleOptions,
  Public,
  RequireAnyScope,
  RequireScopes,
  type Verifier,
} from '@m2m-guard/nestjs'
import { Controller, type DynamicModule, Get } from '@nestjs/common'
import { describe, expectTypeOf, it } from 'vitest'

declare const verifier: Verifier

describe('@m2m-guard/nestjs types', () => {
  it('@Auth() is a parameter decorator for an AuthResult', () => {
    expectTypeOf(Auth).returns.toEqualTypeOf<ParameterDecorator>()
    expectTypeOf<AuthResult>().toEqualTypeOf<CoreAuthResult>()

    @RequireScopes('orders:read')
    @AllowClients('billing')
    @Controller('orders')
    class OrdersController {
      @RequireAnyScope('orders:write', 'orders:admin')
      @Get()
      list(@Auth() auth: AuthResult) {
        expectTypeOf(auth.clientId).toEqualTypeOf<string | undefined>()
        expectTypeOf(auth.scopes).toEqualTypeOf<readonly string[]>()
        return auth.scopes
      }

      @Public()
      @Get('health')
      health() {
        return { ok: true }
      }
    }
    expectTypeOf(OrdersController).toBeConstructibleWith()
  })

  it('the decorators take strings only', () => {
    // @ts-expect-error scopes are strings
    RequireScopes(['orders:read'])
    // @ts-expect-error clients are strings
    AllowClients(1)
  })

  it('forRoot takes verifier options or { verifier }; forRootAsync a factory of them', () => {
    expectTypeOf(
      M2mGuardModule.forRoot({ issuer: 'https://auth.example', audience: 'https://orders.example' }),
    ).toEqualTypeOf<DynamicModule>()
    M2mGuardModule.forRoot({ verifier })
    // @ts-expect-error audience is required
    M2mGuardModule.forRoot({ issuer: 'https://auth.example' })
    M2mGuardModule.forRootAsync({
      inject: ['CONFIG'],
      useFactory: (config: { issuer: string }): M2mGuardModuleOptions => ({
        issuer: config.issuer,
        audience: 'https://orders.example',
      }),
    })
    M2mGuardModule.forRootAsync({
      // @ts-expect-error the factory must return module options
      useFactory: () => ({ issuer: 'https://auth.example' }),
    })
  })
})
