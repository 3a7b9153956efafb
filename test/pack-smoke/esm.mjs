// Imported from ESM, each adapter guards a real route of its framework.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { AuthError } from '@m2m-guard/core'
import { AuthError as ExpressAuthError, createGuard as expressGuard } from '@m2m-guard/express'
import m2mGuard, { m2mGuard as namedPlugin } from '@m2m-guard/fastify'
import { createGuard as koaGuard } from '@m2m-guard/koa'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { audience, issuer, jwks, mint } from './tokens.mjs'

const options = { issuer, audience, jwks }
const token = mint({ client_id: 'billing', scope: 'orders:read' })
assert.equal(ExpressAuthError, AuthError)
assert.equal(namedPlugin, m2mGuard)

async function call(handler, authorization) {
  const server = createServer(handler).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const headers = authorization === undefined ? {} : { authorization }
  const response = await fetch(`http://127.0.0.1:${server.address().port}/orders`, { headers })
  server.close()
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    body: await response.json(),
  }
}

const expressApp = express()
expressApp.get('/orders', expressGuard(options).require({ scopes: ['orders:read'] }), (req, res) => {
  res.json({ client: req.auth.clientId })
})
assert.deepEqual(await call(expressApp), {
  status: 401,
  challenge: 'Bearer',
  body: { error: 'unauthorized', error_description: 'authentication required' },
})
assert.deepEqual((await call(expressApp, `Bearer ${token}`)).body, { client: 'billing' })

const koaApp = new Koa()
koaApp.use(koaGuard(options).require({ scopes: ['orders:read'] })).use((ctx) => {
  ctx.body = { client: ctx.state.auth.clientId }
})
assert.equal((await call(koaApp.callback())).status, 401)
assert.deepEqual((await call(koaApp.callback(), `Bearer ${token}`)).body, { client: 'billing' })

const fastifyApp = Fastify()
await fastifyApp.register(m2mGuard, options)
fastifyApp.get('/orders', { config: { m2m: { scopes: ['orders:read'] } } }, async (request) => ({
  client: request.auth.clientId,
}))
assert.equal((await fastifyApp.inject('/orders')).statusCode, 401)
assert.deepEqual(
  (await fastifyApp.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } })).json(),
  {
    client: 'billing',
  },
)
await fastifyApp.close()
console.log('esm: ok')
