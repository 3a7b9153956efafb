import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../express-orders/app.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { AUDIENCE } from '../test/orders-api-contract.js'
import { createOrdersCaller, OrdersApiError, readCallerConfig } from './orders-client.js'

let issuer: AuthServer
let api: RunningServer
let env: Record<string, string>

beforeAll(async () => {
  issuer = await createAuthServer({
    audience: AUDIENCE,
    clients: [
      { clientId: 'billing', clientSecret: 'billing-secret', scopes: ['orders:read', 'orders:write'] },
      { clientId: 'reporting', clientSecret: 'reporting-secret', scopes: ['orders:read'] },
    ],
  })
  api = await listening(createApp({ issuer: issuer.issuer, audience: AUDIENCE }).listen(0, '127.0.0.1'))
  env = { CLIENT_ID: 'billing', CLIENT_SECRET: 'billing-secret', ORDERS_URL: api.url }
})
afterAll(async () => {
  await api.close()
  await issuer.close()
})

describe('the caller service', () => {
  it('lists, creates and reads orders with one token from the token endpoint', async () => {
    issuer.resetCounters()
    const orders = createOrdersCaller(readCallerConfig({ ...env, TOKEN_ENDPOINT: issuer.tokenEndpoint }))
    expect((await orders.listOrders()).map((order) => order.id)).toEqual(['ord_1', 'ord_2'])
    const created = await orders.createOrder({ item: 'bolts', quantity: 100 })
    expect(created).toMatchObject({ item: 'bolts', quantity: 100, createdBy: 'billing' })
    expect(await orders.getOrder(created.id)).toEqual(created)
    expect(await orders.getOrder('ord_999')).toBeUndefined()
    // The token client cached the token: one token request for four API calls.
    expect(issuer.requests.token).toBe(1)
  })

  it('discovers the token endpoint from ISSUER', async () => {
    const orders = createOrdersCaller(
      readCallerConfig({ ...env, ISSUER: issuer.issuer, SCOPE: 'orders:read' }),
    )
    expect((await orders.listOrders()).length).toBeGreaterThan(0)
  })

  it('surfaces a 403 as an OrdersApiError, without retrying', async () => {
    const orders = createOrdersCaller(
      readCallerConfig({
        ...env,
        CLIENT_ID: 'reporting',
        CLIENT_SECRET: 'reporting-secret',
        ISSUER: issuer.issuer,
      }),
    )
    issuer.resetCounters()
    const error = await orders.createOrder({ item: 'bolts', quantity: 1 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OrdersApiError)
    expect(error).toMatchObject({ status: 403, error: 'insufficient_scope' })
    expect((error as Error).message).toBe(
      'POST /orders: 403 insufficient_scope: missing required scope: orders:write',
    )
    expect(issuer.requests.token).toBe(1)
  })

  it('fails on wrong credentials with the token endpoint’s error', async () => {
    const orders = createOrdersCaller(
      readCallerConfig({ ...env, CLIENT_SECRET: 'wrong', TOKEN_ENDPOINT: issuer.tokenEndpoint }),
    )
    await expect(orders.listOrders()).rejects.toMatchObject({ error: 'invalid_client', status: 401 })
  })
})

describe('readCallerConfig', () => {
  it('prefers TOKEN_ENDPOINT over ISSUER', () => {
    const config = readCallerConfig({
      ...env,
      TOKEN_ENDPOINT: 'https://auth.example/token',
      ISSUER: 'https://auth.example',
    })
    expect(config).toEqual({
      tokenEndpoint: 'https://auth.example/token',
      clientId: 'billing',
      clientSecret: 'billing-secret',
      scope: undefined,
      ordersUrl: api.url,
    })
  })

  it.each([
    [
      { CLIENT_ID: 'billing', CLIENT_SECRET: 's', ORDERS_URL: 'http://x' },
      'TOKEN_ENDPOINT or ISSUER must be set',
    ],
    [{ CLIENT_SECRET: 's', ORDERS_URL: 'http://x', ISSUER: 'http://i' }, 'CLIENT_ID is not set'],
    [{ CLIENT_ID: 'billing', ORDERS_URL: 'http://x', ISSUER: 'http://i' }, 'CLIENT_SECRET is not set'],
    [{ CLIENT_ID: 'billing', CLIENT_SECRET: 's', ISSUER: 'http://i' }, 'ORDERS_URL is not set'],
  ])('names what is missing', (variables, message) => {
    expect(() => readCallerConfig(variables)).toThrow(message)
  })
})
