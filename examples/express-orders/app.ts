/**
 * The orders API on Express, protected per route by @m2m-guard/express.
 *
 * Run it against any OAuth 2.0 issuer (or `npx m2m-guard-issuer`):
 *   ISSUER=http://127.0.0.1:4000 AUDIENCE=https://api.example PORT=3000 node dist/express-orders/main.js
 */
import { createVerifier } from '@m2m-guard/core'
import { createGuard, type GuardOptions } from '@m2m-guard/express'
import express, { type Express } from 'express'
import { readApiConfig, readBindingConfig } from '../shared/env.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { createOrderStore, parseNewOrder } from '../shared/orders.js'

/**
 * Builds the app without listening: `{ issuer, audience, ...verifierOptions }`,
 * or `{ verifier }` to share one key cache between apps.
 *
 * @example
 * const app = createApp({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 */
export function createApp(options: GuardOptions): Express {
  // One guard per app: one verifier, one key cache, any number of per-route requirements.
  const guard = createGuard(options)
  const orders = createOrderStore()
  const app = express()

  // Public: probes and load balancers call it without a token.
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })

  app.get('/orders', guard.require({ scopes: ['orders:read'] }), (_req, res) => {
    res.json({ orders: orders.list() })
  })

  // The guard runs before express.json(): a caller without a valid token never gets its body parsed.
  app.post('/orders', guard.require({ scopes: ['orders:write'] }), express.json(), (req, res) => {
    const order = parseNewOrder(req.body)
    if (order === undefined) {
      res.status(400).json({ error: 'invalid_order', error_description: 'expected { item, quantity }' })
      return
    }
    // req.auth is the verified token: record which client placed the order.
    const created = orders.create(order, req.auth.clientId ?? 'unknown')
    res.status(201).location(`/orders/${created.id}`).json(created)
  })

  // Any of: readers and administrators may look at a single order.
  app.get('/orders/:id', guard.require({ anyScopes: ['orders:read', 'orders:admin'] }), (req, res) => {
    const order = orders.get(req.params.id)
    if (order === undefined) res.status(404).json({ error: 'not_found' })
    else res.json(order)
  })

  // Admin: the scope alone is not enough, the token must also come from the ops console.
  app.delete(
    '/orders/:id',
    guard.require({ clients: ['ops-console'], scopes: ['orders:admin'] }),
    (req, res) => {
      if (orders.remove(req.params.id)) res.status(204).end()
      else res.status(404).json({ error: 'not_found' })
    },
  )

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
