/** The decorators refuse a wrong declaration when the class is defined, so a bad route stops start-up. */
import { AllowClients, AllowIssuers, Public, RequireAnyScope, RequireScopes } from '@m2m-guard/nestjs'
import { describe, expect, it } from 'vitest'

describe('route decorators', () => {
  it('need at least one scope or client', () => {
    expect(() => RequireScopes()).toThrow('@RequireScopes() needs at least one scope')
    expect(() => RequireAnyScope()).toThrow('@RequireAnyScope() needs at least one scope')
    expect(() => AllowClients()).toThrow('@AllowClients: "clients" must not be empty')
    expect(() => AllowIssuers()).toThrow('@AllowIssuers: "issuers" must not be empty')
  })

  it('refuse what is not a scope token or a client id', () => {
    expect(() => RequireScopes('orders read')).toThrow(
      '@RequireScopes: "scopes" entry "orders read" is not a valid scope token',
    )
    expect(() => RequireAnyScope('ok', 'x"y')).toThrow('"anyScopes" entry "x\\"y" is not a valid scope token')
    expect(() => AllowClients('billing', '')).toThrow('"clients" must contain only non-empty strings')
    expect(() => RequireScopes(42 as never)).toThrow('"scopes" must contain only non-empty strings')
  })

  it('refuse @Public() and a requirement on the same handler or class, in either order', () => {
    expect(() => {
      class Orders {
        @Public()
        @RequireScopes('orders:read')
        list() {}
      }
      return Orders
    }).toThrow('list is marked @Public() and also declares a requirement: choose one')
    expect(() => {
      class Orders {
        @RequireScopes('orders:read')
        @Public()
        list() {}
      }
      return Orders
    }).toThrow('list is marked @Public() and also declares a requirement')
    expect(() => {
      @AllowClients('billing')
      @Public()
      class Orders {}
      return Orders
    }).toThrow('Orders is marked @Public() and also declares a requirement')
  })

  it('apply to classes and methods only', () => {
    const decorate = RequireScopes('orders:read') as (target: object, key: string, descriptor: object) => void
    expect(() => decorate({}, 'field', { value: 42 })).toThrow(
      'm2m-guard decorators apply to classes and methods, not to field',
    )
  })
})
