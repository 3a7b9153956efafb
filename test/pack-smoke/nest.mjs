// The packed @m2m-guard/nestjs in a Nest app of the installed NestJS, from
// plain ESM: the decorators are applied as functions, as compiled TypeScript does.
import 'reflect-metadata'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Auth, M2mGuardModule, Public, RequireScopes } from '@m2m-guard/nestjs'
import { Controller, Get, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { audience, issuer, jwks, mint } from './tokens.mjs'

class OrdersController {
  list(auth) {
    return { client: auth.clientId }
  }
  health() {
    return { ok: true }
  }
}
const method = (name, ...decorators) =>
  Reflect.decorate(
    decorators,
    OrdersController.prototype,
    name,
    Object.getOwnPropertyDescriptor(OrdersController.prototype, name),
  )
Auth()(OrdersController.prototype, 'list', 0)
method('list', Get(), RequireScopes('orders:read'))
method('health', Get('health'), Public())
Reflect.decorate([Controller('orders')], OrdersController)

class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [M2mGuardModule.forRoot({ issuer, audience, jwks })],
      controllers: [OrdersController],
    }),
  ],
  AppModule,
)

const app = await NestFactory.create(AppModule, { logger: false })
await app.listen(0, '127.0.0.1')
const url = `http://127.0.0.1:${app.getHttpServer().address().port}/orders`
try {
  const refused = await fetch(url)
  assert.equal(refused.status, 401)
  assert.equal(refused.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(await refused.json(), {
    error: 'unauthorized',
    error_description: 'authentication required',
  })
  const scopeless = await fetch(url, {
    headers: { authorization: `Bearer ${mint({ client_id: 'billing' })}` },
  })
  assert.equal(scopeless.status, 403)
  const token = mint({ client_id: 'billing', scope: 'orders:read' })
  const allowed = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  assert.deepEqual(await allowed.json(), { client: 'billing' })
  assert.equal((await fetch(`${url}/health`)).status, 200)
} finally {
  await app.close()
}
console.log(`nest: ok (NestJS ${createRequire(import.meta.url)('@nestjs/core/package.json').version})`)
