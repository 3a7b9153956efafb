/**
 * The /orders routes, as an encapsulated Fastify plugin (no fastify-plugin
 * wrapper): hooks added in here apply to these routes only. `app.m2mGuard`
 * and `request.auth` come from the m2m-guard plugin registered by the parent.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { NewOrder, OrderStore } from '../shared/orders.js'

export interface OrderRoutesOptions {
  orders: OrderStore
}

interface OrderParams {
  id: string
}

const newOrderSchema = {
  type: 'object',
  required: ['item', 'quantity'],
  additionalProperties: false,
  properties: {
    item: { type: 'string', minLength: 1, maxLength: 200 },
    quantity: { type: 'integer', minimum: 1 },
  },
} as const

/**
 * Registers `GET /`, `POST /`, `GET /:id` and `DELETE /:id`; mount it with a prefix.
 *
 * @example
 * await app.register(orderRoutes, { prefix: '/orders', orders: createOrderStore() })
 */
export const orderRoutes: FastifyPluginAsync<OrderRoutesOptions> = async (app, { orders }) => {
  // Declared in the route's config: the m2m-guard plugin turns it into an onRequest hook.
  app.get('/', { config: { m2m: { scopes: ['orders:read'] } } }, async () => ({ orders: orders.list() }))

  // Or attached as a hook. onRequest runs before the body is parsed and validated,
  // so a caller without a valid token learns nothing from schema errors.
  app.post<{ Body: NewOrder }>(
    '/',
    { onRequest: app.m2mGuard.require({ scopes: ['orders:write'] }), schema: { body: newOrderSchema } },
    async (request, reply) => {
      const created = orders.create(request.body, request.auth.clientId ?? 'unknown')
      return reply.code(201).header('location', `/orders/${created.id}`).send(created)
    },
  )

  // Any of: readers and administrators may look at a single order.
  app.get<{ Params: OrderParams }>(
    '/:id',
    { config: { m2m: { anyScopes: ['orders:read', 'orders:admin'] } } },
    async (request, reply) => {
      const order = orders.get(request.params.id)
      return order ?? reply.code(404).send({ error: 'not_found' })
    },
  )

  // Admin routes in a plugin of their own: its hook guards every route inside
  // it, and nothing outside it. Only the ops console, and only with the scope.
  await app.register(async (admin) => {
    admin.addHook('onRequest', admin.m2mGuard.require({ clients: ['ops-console'], scopes: ['orders:admin'] }))
    admin.delete<{ Params: OrderParams }>('/:id', async (request, reply) => {
      if (orders.remove(request.params.id)) return reply.code(204).send()
      return reply.code(404).send({ error: 'not_found' })
    })
  })
}
