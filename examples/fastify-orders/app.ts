/**
 * The orders API on Fastify, protected per route by the @m2m-guard/fastify plugin.
 *
 * Run it against any OAuth 2.0 issuer (or `npx m2m-guard-issuer`):
 *   ISSUER=http://127.0.0.1:4000 AUDIENCE=https://api.example PORT=3000 node dist/fastify-orders/main.js
 */
import { createVerifier } from '@m2m-guard/core'
import m2mGuard, { type M2mGuardOptions } from '@m2m-guard/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { readApiConfig, readBindingConfig } from '../shared/env.js'
import type { RunningServer } from '../shared/listening.js'
import { createOrderStore } from '../shared/orders.js'
import { orderRoutes } from './order-routes.js'

/**
 * Builds the app without listening: `{ issuer, audience, ...verifierOptions }`,
 * or `{ verifier }` to share one key cache between apps. Test it with `app.inject()`.
 *
 * @example
 * const app = await buildApp({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * await app.listen({ port: 3000 })
 */
export async function buildApp(options: M2mGuardOptions): Promise<FastifyInstance> {
  const app = Fastify()
  // Registered at the root (it uses fastify-plugin): app.m2mGuard, request.auth and
  // `config.m2m` work in every plugin registered after it.
  await app.register(m2mGuard, options)

  // Public: no config.m2m, no hook.
  app.get('/health', async () => ({ status: 'ok' }))

  await app.register(orderRoutes, { prefix: '/orders', orders: createOrderStore() })
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
  const app = await buildApp({ verifier })
  const url = await app.listen({ port, host })
  return { url, close: () => app.close() }
}
