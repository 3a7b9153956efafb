/**
 * Everything the demo runs, on 127.0.0.1 with free ports: the local
 * authorization server with four registered clients, the orders API on
 * Express, Koa and Fastify (all trusting that issuer), and one token client
 * per registered client.
 */
import { randomBytes } from 'node:crypto'
import { createTokenClient, type TokenClient } from '@m2m-guard/client'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { createApp as createExpressApp } from '../express-orders/app.js'
import { buildApp as buildFastifyApp } from '../fastify-orders/app.js'
import { createApp as createKoaApp } from '../koa-orders/app.js'
import { listening, type RunningServer } from '../shared/listening.js'

export const HOST = '127.0.0.1'
/** The orders API's identifier at the issuer: the `aud` of its tokens. */
export const AUDIENCE = 'https://orders.example'

export const FRAMEWORKS = ['express', 'koa', 'fastify'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** The registered clients and the scopes each may be granted. */
export const CLIENTS = {
  billing: ['orders:read', 'orders:write'],
  reporting: ['orders:read'],
  'ops-console': ['orders:admin'],
  intruder: ['inventory:read'],
} as const satisfies Record<string, readonly string[]>
export type ClientId = keyof typeof CLIENTS

export interface DemoClient {
  readonly clientId: ClientId
  readonly clientSecret: string
  readonly scopes: readonly string[]
  /** Gets, caches and renews this client's tokens; `tokens.fetch()` sends them. */
  readonly tokens: TokenClient
}

export interface Api extends RunningServer {
  readonly framework: Framework
}

export interface World {
  readonly issuer: AuthServer
  readonly apis: readonly Api[]
  readonly clients: Readonly<Record<ClientId, DemoClient>>
  /** Starts one more API of `framework`, with a verifier of its own: nothing cached. */
  startApi(framework: Framework): Promise<Api>
  /** Closes every API it started, then the issuer. Safe to call twice. */
  close(): Promise<void>
}

/** Starts the issuer, the three APIs and the token clients. */
export async function startWorld(): Promise<World> {
  const secrets = Object.fromEntries(
    Object.keys(CLIENTS).map((clientId) => [clientId, randomBytes(12).toString('base64url')]),
  ) as Record<ClientId, string>
  const issuer = await createAuthServer({
    audience: AUDIENCE,
    // Long enough for curl experiments with `pnpm demo --serve`.
    tokenLifetime: 3600,
    clients: Object.entries(CLIENTS).map(([clientId, scopes]) => ({
      clientId,
      clientSecret: secrets[clientId as ClientId],
      scopes: [...scopes],
    })),
  })

  const running = new Set<Api>()
  async function startApi(framework: Framework): Promise<Api> {
    // Each API discovers the issuer's keys from its metadata, as a real deployment would.
    const options = { issuer: issuer.issuer, audience: AUDIENCE }
    let server: RunningServer
    if (framework === 'fastify') {
      const app = await buildFastifyApp(options)
      const url = await app.listen({ port: 0, host: HOST })
      server = { url, close: () => app.close() }
    } else {
      const app = framework === 'express' ? createExpressApp(options) : createKoaApp(options)
      server = await listening(app.listen(0, HOST))
    }
    const api: Api = {
      framework,
      url: server.url,
      close: async () => {
        if (running.delete(api)) await server.close()
      },
    }
    running.add(api)
    return api
  }

  try {
    const apis = await Promise.all(FRAMEWORKS.map(startApi))
    const clients = Object.fromEntries(
      Object.entries(CLIENTS).map(([clientId, scopes]) => {
        const clientSecret = secrets[clientId as ClientId]
        const tokens = createTokenClient({ tokenEndpoint: issuer.tokenEndpoint, clientId, clientSecret })
        return [clientId, { clientId, clientSecret, scopes, tokens }]
      }),
    ) as unknown as Record<ClientId, DemoClient>
    return {
      issuer,
      apis,
      clients,
      startApi,
      close: async () => {
        await Promise.all([...running].map((api) => api.close()))
        await issuer.close()
      },
    }
  } catch (error) {
    await Promise.all([...running].map((api) => api.close()))
    await issuer.close()
    throw error
  }
}
