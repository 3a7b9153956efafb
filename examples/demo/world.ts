/**
 * Everything the demo runs, on 127.0.0.1 with free ports: the local
 * authorization server with four registered clients, a partner's Entra-shaped
 * issuer with one app, the orders API on Express, Koa and Fastify (all trusting
 * both issuers, each with its own audience and keys), one token client per
 * registered client, and a third issuer that nobody configured.
 */
import { randomBytes } from 'node:crypto'
import type { RequestListener } from 'node:http'
import { createTokenClient, type TokenClient } from '@m2m-guard/client'
import { createVerifier, entra, type Verifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { createApp as createExpressApp } from '../express-orders/app.js'
import { buildApp as buildFastifyApp } from '../fastify-orders/app.js'
import { createApp as createKoaApp } from '../koa-orders/app.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { type BoundParts, startBoundParts } from './bound-world.js'

export const HOST = '127.0.0.1'
/** The orders API's identifier at the issuer: the `aud` of its tokens. */
export const AUDIENCE = 'https://orders.example'

/** The partner's Entra tenant, the orders API's application id there, and the partner's app. */
export const PARTNER = {
  tenantId: '4d1c3f5e-8a2b-4c6d-9e0f-1a2b3c4d5e6f',
  apiAppId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
  appId: '7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910',
  /** The app role the partner's admin granted its app: Entra puts it in `roles`. */
  roles: ['orders:read'],
}

export const FRAMEWORKS = ['express', 'koa', 'fastify'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** The registered clients and the scopes each may be granted. */
export const CLIENTS = {
  billing: ['orders:read', 'orders:write'],
  // Granted more than it needs: the least-privilege table after the calls says so.
  reporting: ['orders:read', 'orders:export'],
  'ops-console': ['orders:admin'],
  intruder: ['inventory:read'],
} as const satisfies Record<string, readonly string[]>
export type ClientId = keyof typeof CLIENTS

export interface DemoClient {
  /** One of {@link CLIENTS} at the local issuer; the partner's app id at the partner's. */
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: readonly string[]
  /** Gets, caches and renews this client's tokens; `tokens.fetch()` sends them. */
  readonly tokens: TokenClient
}

export interface Api extends RunningServer {
  readonly framework: Framework
  /** The API's verifier, with `usage: true`: `verifier.usage()` says which scopes each client needed. */
  readonly verifier: Verifier
}

export interface World {
  readonly issuer: AuthServer
  /** The partner's issuer, shaped like Microsoft Entra ID (v2.0 tokens). */
  readonly partner: AuthServer
  /** An issuer no API trusts: its tokens are refused however valid they look. */
  readonly stranger: AuthServer
  readonly apis: readonly Api[]
  readonly clients: Readonly<Record<ClientId, DemoClient>>
  /** The partner's app: an Entra client asking for `api://<orders app id>/.default`. */
  readonly partnerApp: DemoClient
  /** DPoP and mTLS: billing's DPoP client, a thief's key, certificates. */
  readonly bound: BoundParts
  /** Starts one more API of `framework`, with a verifier of its own: nothing cached. HTTPS asking for client certificates with `https`. */
  startApi(framework: Framework, options?: { https?: boolean }): Promise<Api>
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
  const partnerSecret = randomBytes(12).toString('base64url')
  const partner = await createAuthServer({
    flavor: 'entra',
    tenant: PARTNER.tenantId,
    audience: PARTNER.apiAppId,
    tokenLifetime: 3600,
    clients: [{ clientId: PARTNER.appId, clientSecret: partnerSecret, scopes: PARTNER.roles }],
  })
  const stranger = await createAuthServer({ audience: AUDIENCE })
  const bound = await startBoundParts(issuer.tokenEndpoint, secrets.billing)
  const servers = [issuer, partner, stranger, bound]

  const running = new Set<Api>()
  async function startApi(framework: Framework, { https = false } = {}): Promise<Api> {
    // One verifier, two issuer profiles: the token's `iss` picks one, with its own audience and keys.
    const options = {
      issuers: [
        // Its keys discovered from its metadata, as a real deployment would.
        { issuer: issuer.issuer, audience: AUDIENCE },
        // The Entra preset (azp, roles, v1 and v2 issuers), pointed at the local stand-in of login.microsoftonline.com.
        {
          ...entra({ tenantId: PARTNER.tenantId, audience: PARTNER.apiAppId }),
          issuer: partner.issuer,
          jwksUri: partner.jwksUri,
        },
      ],
      // DPoP-bound tokens too (with the API's nonces), and certificate-bound ones over HTTPS.
      dpop: { nonce: { secret: bound.nonceSecret } },
      mtls: {},
    }
    // Built here rather than by the app, to read its usage report after the calls.
    const verifier = createVerifier({ ...options, usage: true })
    let server: RunningServer
    if (https) {
      server = await bound.serveHttps(await listenerFor(framework, verifier))
    } else if (framework === 'fastify') {
      const app = await buildFastifyApp({ verifier })
      const url = await app.listen({ port: 0, host: HOST })
      server = { url, close: () => app.close() }
    } else {
      const app = framework === 'express' ? createExpressApp({ verifier }) : createKoaApp({ verifier })
      server = await listening(app.listen(0, HOST))
    }
    const api: Api = {
      framework,
      verifier,
      url: server.url,
      close: async () => {
        if (running.delete(api)) await server.close()
      },
    }
    running.add(api)
    return api
  }

  try {
    const apis = await Promise.all(FRAMEWORKS.map((framework) => startApi(framework)))
    const clients = Object.fromEntries(
      Object.entries(CLIENTS).map(([clientId, scopes]) => {
        const clientSecret = secrets[clientId as ClientId]
        const tokens = createTokenClient({ tokenEndpoint: issuer.tokenEndpoint, clientId, clientSecret })
        return [clientId, { clientId, clientSecret, scopes, tokens }]
      }),
    ) as unknown as Record<ClientId, DemoClient>
    const partnerApp = {
      clientId: PARTNER.appId,
      clientSecret: partnerSecret,
      scopes: PARTNER.roles,
      tokens: createTokenClient({
        tokenEndpoint: partner.tokenEndpoint,
        clientId: PARTNER.appId,
        clientSecret: partnerSecret,
        scope: `api://${PARTNER.apiAppId}/.default`,
      }),
    }
    return {
      issuer,
      partner,
      stranger,
      apis,
      clients,
      partnerApp,
      bound,
      startApi,
      close: async () => {
        await Promise.all([...running].map((api) => api.close()))
        await Promise.all(servers.map((server) => server.close()))
      },
    }
  } catch (error) {
    await Promise.all([...running].map((api) => api.close()))
    await Promise.all(servers.map((server) => server.close()))
    throw error
  }
}

/** The app of `framework` as a plain request listener, for an HTTPS server. */
async function listenerFor(framework: Framework, verifier: Verifier): Promise<RequestListener> {
  if (framework === 'express') return createExpressApp({ verifier })
  if (framework === 'koa') return createKoaApp({ verifier }).callback()
  const app = await buildFastifyApp({ verifier })
  await app.ready()
  return app.routing
}
