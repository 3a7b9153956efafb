/**
 * The calls the demo makes, in order, against each framework's API. Every
 * call names what it expects, so the demo (and its test) can tell when an
 * answer is not the planned one.
 */
import { BOUND_PLAN } from './bound-plan.js'
import { ROTATION_PLAN } from './rotation.js'
import type { Api, ClientId, World } from './world.js'

/** What an API answered, as the table explains it. */
export interface Answer {
  readonly status: number
  /** The JSON body's `error` and `error_description`, if any. */
  readonly error: string | undefined
  readonly description: string | undefined
  readonly retryAfter: string | null
  readonly body: unknown
}

export interface PlannedCall {
  /** Who calls, as the table's client column shows it. */
  readonly who: string
  readonly method: 'GET' | 'POST' | 'DELETE'
  readonly path: string
  readonly expect: number
  /** Sends the request to `api`. */
  send(world: World, api: Api): Promise<Response>
  /**
   * Why the planned answer came. Default: the API's own `error: error_description`.
   * Used only when the answer is the planned one.
   */
  why?(answer: Answer, world: World, api: Api): string
}

/** The routes of the orders API and what each requires, as the demo introduces them. */
export const ROUTES = [
  ['GET', '/health', 'public'],
  ['GET', '/orders', 'scope orders:read'],
  ['POST', '/orders', 'scope orders:write'],
  ['GET', '/orders/:id', 'scope orders:read or orders:admin'],
  ['DELETE', '/orders/:id', 'client ops-console, with scope orders:admin'],
] as const

type Init = { method?: string; body?: string; headers?: Record<string, string> }
const newOrder: Init = {
  body: '{"item":"bolts","quantity":100}',
  headers: { 'content-type': 'application/json' },
}

/** As a registered client: its token client adds a token (from the issuer's token endpoint). */
const as =
  (clientId: ClientId, method: PlannedCall['method'], path: string, init: Init = {}) =>
  (world: World, api: Api) =>
    world.clients[clientId].tokens.fetch(`${api.url}${path}`, { ...init, method })

/** A plain request with the given Authorization header, or none. */
const sendWith =
  (authorization: (world: World) => Promise<string | undefined>, path: string) =>
  async (world: World, api: Api) => {
    const value = await authorization(world)
    return fetch(`${api.url}${path}`, value === undefined ? {} : { headers: { authorization: value } })
  }

/** Runs `send` while the issuer's JWKS endpoint answers 503. */
async function withJwksDown(world: World, send: () => Promise<Response>): Promise<Response> {
  world.issuer.setFault('jwks', 'down')
  try {
    return await send()
  } finally {
    world.issuer.setFault('jwks', null)
  }
}

const count = (answer: Answer) => (answer.body as { orders?: unknown[] }).orders?.length ?? 0
const id = (answer: Answer) => (answer.body as { id?: string }).id ?? '?'

export const PLAN: readonly PlannedCall[] = [
  {
    who: '(no token)',
    method: 'GET',
    path: '/health',
    expect: 200,
    send: sendWith(async () => undefined, '/health'),
    why: () => 'public route',
  },
  {
    who: 'billing',
    method: 'GET',
    path: '/orders',
    expect: 200,
    send: as('billing', 'GET', '/orders'),
    why: (answer) => `has orders:read (${count(answer)} orders)`,
  },
  {
    who: 'billing',
    method: 'POST',
    path: '/orders',
    expect: 201,
    send: as('billing', 'POST', '/orders', newOrder),
    why: (answer) => `has orders:write (created ${id(answer)})`,
  },
  {
    who: 'reporting',
    method: 'GET',
    path: '/orders/ord_1',
    expect: 200,
    send: as('reporting', 'GET', '/orders/ord_1'),
    why: () => 'has orders:read (any of orders:read, orders:admin)',
  },
  {
    who: 'ops-console',
    method: 'GET',
    path: '/orders/ord_1',
    expect: 200,
    send: as('ops-console', 'GET', '/orders/ord_1'),
    why: () => 'has orders:admin (any of orders:read, orders:admin)',
  },
  {
    who: 'ops-console',
    method: 'DELETE',
    path: '/orders/ord_2',
    expect: 204,
    send: as('ops-console', 'DELETE', '/orders/ord_2'),
    why: () => 'ops-console with orders:admin (admin route)',
  },
  {
    who: 'partner (Entra)',
    method: 'GET',
    path: '/orders',
    expect: 200,
    // Another issuer, another audience, other keys and claim names (azp, roles): the same route.
    send: (world, api) => world.partnerApp.tokens.fetch(`${api.url}/orders`),
    why: (answer) => `partner's issuer, app role orders:read (${count(answer)} orders)`,
  },
  {
    who: '(no token)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    send: sendWith(async () => undefined, '/orders'),
  },
  {
    who: 'billing',
    method: 'GET',
    path: '/orders',
    expect: 401,
    // A real token of billing's, expired a minute ago.
    send: sendWith(
      async ({ issuer }) =>
        `Bearer ${await issuer.mint({ client_id: 'billing', scope: 'orders:read' }, { expiresIn: -60 })}`,
      '/orders',
    ),
  },
  {
    who: '(forged token)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    // Every scope, the issuer's key id, but signed with a key the issuer never published.
    send: sendWith(
      async ({ issuer }) =>
        `Bearer ${await issuer.mint(
          { client_id: 'billing', scope: 'orders:read orders:write orders:admin' },
          { key: 'foreign', kid: issuer.keys.current.kid },
        )}`,
      '/orders',
    ),
  },
  {
    who: '(unknown issuer)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    // A well-formed token with every scope, from an issuer no API was told to trust.
    send: sendWith(
      async ({ stranger }) =>
        `Bearer ${await stranger.mint({ client_id: 'billing', scope: 'orders:read orders:write orders:admin' })}`,
      '/orders',
    ),
  },
  {
    who: 'reporting',
    method: 'POST',
    path: '/orders',
    expect: 403,
    send: as('reporting', 'POST', '/orders', newOrder),
  },
  {
    who: 'intruder',
    method: 'GET',
    path: '/orders/ord_1',
    expect: 403,
    send: as('intruder', 'GET', '/orders/ord_1'),
  },
  {
    who: 'billing',
    method: 'DELETE',
    path: '/orders/ord_1',
    expect: 403,
    send: as('billing', 'DELETE', '/orders/ord_1'),
  },
  {
    who: 'billing',
    method: 'GET',
    path: '/orders',
    expect: 200,
    // A new token, so that neither the client nor the API's verified-token cache helps:
    // the API checks its signature with the keys it fetched before the outage.
    send: (world, api) =>
      withJwksDown(world, () => {
        world.clients.billing.tokens.invalidate()
        return as('billing', 'GET', '/orders')(world, api)
      }),
    why: () => 'JWKS down: a new token, verified with the keys cached before the outage',
  },
  {
    who: 'billing',
    method: 'GET',
    path: '/orders',
    expect: 503,
    // A new instance of the same API: it has never seen the keys, and cannot get them now.
    send: (world, api) =>
      withJwksDown(world, async () => {
        const fresh = await world.startApi(api.framework)
        try {
          const response = await as('billing', 'GET', '/orders')(world, fresh)
          // Read the body before closing the server under it.
          return new Response(await response.arrayBuffer(), response)
        } finally {
          await fresh.close()
        }
      }),
    why: (answer) =>
      `JWKS down, a new instance with no keys: ${answer.error} (Retry-After: ${answer.retryAfter})`,
  },
  // DPoP and mTLS: bound tokens with their key or certificate, and the same tokens stolen.
  ...BOUND_PLAN,
  // A secret rotation with no failed call: v2 added, deployed, v1 revoked.
  ...ROTATION_PLAN,
]
