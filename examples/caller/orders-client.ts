/**
 * A service that calls the orders API: @m2m-guard/client gets its tokens
 * with the client-credentials grant, caches and renews them, and adds them to
 * each request. The service itself only deals with orders.
 */
import { readFileSync } from 'node:fs'
import { createTokenClient, type TokenClient, type TokenClientOptions } from '@m2m-guard/client'
import { required } from '../shared/env.js'
import type { NewOrder, Order } from '../shared/orders.js'

/** Where to get tokens: the token endpoint, or the issuer, to discover it from its metadata. */
export type TokenSource = { tokenEndpoint: string } | { issuer: string }

/**
 * How the caller proves who it is: a client secret (optionally with DPoP, so its tokens are bound to
 * a key only it holds), or a client certificate (`tls_client_auth`, RFC 8705: its tokens are bound to
 * that certificate, which it presents to the orders API too).
 */
export type CallerCredentials =
  | { clientSecret: string; dpop?: boolean | undefined }
  | { certificate: { cert: string; key: string; ca?: string } }

export type CallerConfig = TokenSource &
  CallerCredentials & {
    clientId: string
    /** Scopes to ask for, space-delimited. Default: all the client may have. */
    scope?: string | undefined
    /** The orders API's base URL. */
    ordersUrl: string
  }

/**
 * Reads CLIENT_ID, TOKEN_ENDPOINT or ISSUER, ORDERS_URL, (optional) SCOPE, and the credentials:
 * CLIENT_SECRET (with DPOP=true for DPoP-bound tokens), or CLIENT_CERT and CLIENT_KEY (PEM file
 * paths; CA_CERT to trust a private CA) for mutual TLS. Throws an Error naming what is missing.
 *
 * @example
 * readCallerConfig(process.env)
 */
export function readCallerConfig(env: Record<string, string | undefined>): CallerConfig {
  const source: TokenSource = env.TOKEN_ENDPOINT
    ? { tokenEndpoint: env.TOKEN_ENDPOINT }
    : env.ISSUER
      ? { issuer: env.ISSUER }
      : fail('TOKEN_ENDPOINT or ISSUER must be set')
  const common = {
    ...source,
    clientId: required(env, 'CLIENT_ID'),
    scope: env.SCOPE || undefined,
    ordersUrl: required(env, 'ORDERS_URL'),
  }
  if (env.CLIENT_CERT) {
    const read = (name: string) => readFileSync(required(env, name), 'utf8')
    const certificate = { cert: read('CLIENT_CERT'), key: read('CLIENT_KEY') }
    return { ...common, certificate: env.CA_CERT ? { ...certificate, ca: read('CA_CERT') } : certificate }
  }
  const clientSecret = required(env, 'CLIENT_SECRET')
  return env.DPOP === 'true' ? { ...common, clientSecret, dpop: true } : { ...common, clientSecret }
}

/** The token client's options for these credentials. */
function tokenClientOptions(config: CallerConfig): TokenClientOptions {
  const { ordersUrl: _ordersUrl, scope, ...rest } = config
  const scoped = scope === undefined ? {} : { scope }
  if ('certificate' in rest) {
    const { certificate, ...source } = rest
    // The certificate authenticates at the token endpoint and is presented on every tokens.fetch.
    return { ...source, ...scoped, authMethod: 'tls_client_auth', tls: certificate }
  }
  const { dpop, ...withSecret } = rest
  // dpop: true makes one key pair for this client; every token request and API call carries a proof.
  return { ...withSecret, ...scoped, ...(dpop === true ? { dpop: true } : {}) }
}

function fail(message: string): never {
  throw new Error(message)
}

/** The orders API answered with an error status. */
export class OrdersApiError extends Error {
  override name = 'OrdersApiError'
  constructor(
    readonly status: number,
    /** The `error` of the JSON body (`insufficient_scope`…), if any. */
    readonly error: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

export interface OrdersCaller {
  listOrders(): Promise<Order[]>
  /** The order, or `undefined` if there is none with that id. */
  getOrder(id: string): Promise<Order | undefined>
  createOrder(order: NewOrder): Promise<Order>
  /** The token client, to share or to `invalidate()`. */
  readonly tokens: TokenClient
}

/**
 * A typed client of the orders API, authenticated as `config.clientId`.
 *
 * @example
 * const orders = createOrdersCaller(readCallerConfig(process.env))
 * for (const order of await orders.listOrders()) console.log(order.id)
 */
export function createOrdersCaller(config: CallerConfig): OrdersCaller {
  const { ordersUrl } = config
  // Credentials come from configuration, never from source. With `issuer`,
  // the token endpoint is discovered (RFC 8414) on the first request.
  const tokens = createTokenClient(tokenClientOptions(config))

  // tokens.fetch adds `Authorization: Bearer …` (or `DPoP …` and a proof, answering the API's
  // use_dpop_nonce once); on a 401 it gets a new token and retries once.
  // A 403 is not retried: a new token would carry the same scopes.
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await tokens.fetch(new URL(path, ordersUrl), {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    if (response.ok || response.status === 404) return response
    const { error, error_description } = (await response.json().catch(() => ({}))) as Record<string, unknown>
    const detail =
      typeof error === 'string' ? `${error}: ${String(error_description ?? '')}` : response.statusText
    throw new OrdersApiError(
      response.status,
      typeof error === 'string' ? error : undefined,
      `${method} ${path}: ${response.status} ${detail}`,
    )
  }

  return {
    tokens,
    async listOrders() {
      const response = await call('GET', '/orders')
      return ((await response.json()) as { orders: Order[] }).orders
    },
    async getOrder(id) {
      const response = await call('GET', `/orders/${encodeURIComponent(id)}`)
      return response.status === 404 ? undefined : ((await response.json()) as Order)
    },
    async createOrder(order) {
      const response = await call('POST', '/orders', order)
      return (await response.json()) as Order
    },
  }
}
