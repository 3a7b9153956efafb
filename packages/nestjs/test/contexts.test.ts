/**
 * Handlers that are not HTTP (gateways, microservices) carry no
 * Authorization header: the global guard refuses them unless they are
 * @Public(). No RPC or WebSocket transport is installed here, so the guard
 * is called with the execution context such a transport would pass.
 */
import { createVerifier } from '@m2m-guard/core'
import { M2mGuard, Public } from '@m2m-guard/nestjs'
import type { ExecutionContext } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { describe, expect, it } from 'vitest'

class Handlers {
  @Public()
  open() {}

  guarded() {}
}

const guard = new M2mGuard(
  createVerifier({ issuer: 'https://auth.example', audience: 'https://orders.example' }),
  new HttpAdapterHost(),
)
const context = (type: string, handler: () => void) =>
  ({
    getType: () => type,
    getClass: () => Handlers,
    getHandler: () => handler,
  }) as unknown as ExecutionContext

describe('non-HTTP contexts', () => {
  it.each(['rpc', 'ws', 'graphql'])('a %s handler is refused unless @Public()', async (type) => {
    expect(await guard.canActivate(context(type, Handlers.prototype.guarded))).toBe(false)
    expect(await guard.canActivate(context(type, Handlers.prototype.open))).toBe(true)
  })
})
