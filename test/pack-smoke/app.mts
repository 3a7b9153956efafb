// Compiled by TypeScript with module and moduleResolution nodenext, against the
// installed packages' declarations (skipLibCheck off).
import { type AuthResult, createGuard as expressGuard } from '@m2m-guard/express'
import m2mGuard from '@m2m-guard/fastify'
import { createGuard as fetchGuard } from '@m2m-guard/fetch'
import { createGuard as honoGuard } from '@m2m-guard/hono'
import { createGuard as koaGuard } from '@m2m-guard/koa'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'

const options = { issuer: 'https://auth.example.com', audience: 'https://orders.example.com' }

const app = express()
app.get('/orders/:id', expressGuard(options).require({ scopes: ['orders:read'] }), (req, res) => {
  const auth: AuthResult = req.auth
  const id: string = req.params.id
  res.json({ client: auth.clientId, id })
})
// @ts-expect-error the field is `scopes`
expressGuard(options).require({ scope: 'orders:read' })

new Koa().use(koaGuard(options).require()).use((ctx) => {
  const scopes: readonly string[] = ctx.state.auth.scopes
  ctx.body = scopes
})

const server = Fastify()
await server.register(m2mGuard, options)
server.get(
  '/orders',
  { config: { m2m: { anyScopes: ['orders:read', 'orders:admin'] } } },
  async (request) => {
    const auth: AuthResult = request.auth
    return auth.scopes
  },
)
server.get('/admin', { onRequest: server.m2mGuard.require({ clients: ['ops-console'] }) }, async () => 'ok')

const worker = {
  fetch: fetchGuard(options).protect<[{ ORDERS: string }]>(
    { scopes: ['orders:read'] },
    (request, auth, env) => Response.json({ url: request.url, client: auth.clientId, orders: env.ORDERS }),
  ),
}
const answer: Promise<Response> = worker.fetch(new Request('https://orders.example.com/'), { ORDERS: 'kv' })

new Hono().get('/orders', honoGuard(options).require({ scopes: ['orders:read'] }), (c) => {
  const auth: AuthResult = c.var.auth
  return c.json({ client: auth.clientId, answer: typeof answer })
})
