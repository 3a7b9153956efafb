/**
 * The orders API on Koa with @koa/router, protected per route by @m2m-guard/koa.
 *
 * Run it against any OAuth 2.0 issuer (or `npx m2m-guard-issuer`):
 *   ISSUER=http://127.0.0.1:4000 AUDIENCE=https://api.example PORT=3000 node dist/koa-orders/main.js
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import { createVerifier } from '@m2m-guard/core'
import { createGuard, type GuardOptions } from '@m2m-guard/koa'
import Koa from 'koa'
import { readApiConfig, readBindingConfig } from '../shared/env.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { createOrderStore, parseNewOrder } from '../shared/orders.js'

/**
 * Builds the app without listening: `{ issuer, audience, ...verifierOptions }`,
 * or `{ verifier }` to share one key cache between apps.
 *
 * @example
 * const app = createApp({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * app.listen(3000)
 */
export function createApp(options: GuardOptions): Koa {
  // One guard per app: one verifier, one key cache, any number of per-route requirements.
  const guard = createGuard(options)
  const orders = createOrderStore()
  const router = new Router()

  // Public: probes and load balancers call it without a token.
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' }
  })

  router.get('/orders', guard.require({ scopes: ['orders:read'] }), (ctx) => {
    ctx.body = { orders: orders.list() }
  })

  // The guard runs before bodyParser(): a caller without a valid token never gets its body parsed.
  router.post('/orders', guard.require({ scopes: ['orders:write'] }), bodyParser(), (ctx) => {
    const order = parseNewOrder(ctx.request.body)
    if (order === undefined) {
      ctx.status = 400
      ctx.body = { error: 'invalid_order', error_description: 'expected { item, quantity }' }
      return
    }
    // ctx.state.auth is the verified token: record which client placed the order.
    const created = orders.create(order, ctx.state.auth.clientId ?? 'unknown')
    ctx.status = 201
    ctx.set('Location', `/orders/${created.id}`)
    ctx.body = created
  })

  // Any of: readers and administrators may look at a single order.
  router.get('/orders/:id', guard.require({ anyScopes: ['orders:read', 'orders:admin'] }), (ctx) => {
    const order = orders.get(ctx.params.id ?? '')
    ctx.status = order === undefined ? 404 : 200
    ctx.body = order ?? { error: 'not_found' }
  })

  // Admin: the scope alone is not enough, the token must also come from the ops console.
  router.delete(
    '/orders/:id',
    guard.require({ clients: ['ops-console'], scopes: ['orders:admin'] }),
    (ctx) => {
      if (orders.remove(ctx.params.id ?? '')) {
        ctx.status = 204
      } else {
        ctx.status = 404
        ctx.body = { error: 'not_found' }
      }
    },
  )

  const app = new Koa()
  // allowedMethods() answers 405/501 with an Allow header for known paths.
  app.use(router.routes()).use(router.allowedMethods())
  return app
}

/**
 * Reads ISSUER, AUDIENCE, PORT (default 3000), HOST (default 127.0.0.1) and DPOP (see readBindingConfig),
 * fetches the issuer's keys, and listens.
 *
 * @example
 * const api = await start({ ISSUER: 'http://127.0.0.1:4000', AUDIENCE: 'https://api.example', PORT: '0' })
 */
export async function start(env: Record<string, string | undefined>): Promise<RunningServer> {
  const { issuer, audience, port, host } = readApiConfig(env)
  const verifier = createVerifier({ issuer, audience, ...readBindingConfig(env) })
  // Fetch the keys at boot, so the first request does not wait for them; if the
  // issuer is down, start anyway: the keys are fetched again on first use.
  await verifier.warmUp().catch((error: unknown) => console.warn(`keys not available yet: ${error}`))
  return listening(createApp({ verifier }).listen(port, host))
}
