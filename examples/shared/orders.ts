/**
 * The orders the three example APIs serve: an in-memory store, so that the
 * examples are about access control, not persistence. Each app gets its own
 * store, seeded with the same two orders, so every run answers the same.
 */

export interface Order {
  id: string
  item: string
  quantity: number
  /** The client that placed the order (the token's `client_id`). */
  createdBy: string
}

/** What `POST /orders` accepts. */
export interface NewOrder {
  item: string
  quantity: number
}

export interface OrderStore {
  list(): Order[]
  get(id: string): Order | undefined
  create(order: NewOrder, createdBy: string): Order
  /** True if the order existed. */
  remove(id: string): boolean
}

/**
 * A fresh store holding `ord_1` and `ord_2`; new orders get `ord_3`, `ord_4`…
 *
 * @example
 * const orders = createOrderStore()
 * orders.create({ item: 'bolts', quantity: 100 }, 'billing') // { id: 'ord_3', … }
 */
export function createOrderStore(): OrderStore {
  const orders = new Map<string, Order>()
  let next = 1
  const create = (order: NewOrder, createdBy: string): Order => {
    const created = { id: `ord_${next++}`, item: order.item, quantity: order.quantity, createdBy }
    orders.set(created.id, created)
    return created
  }
  create({ item: 'widgets', quantity: 12 }, 'billing')
  create({ item: 'gears', quantity: 3 }, 'billing')
  return {
    list: () => [...orders.values()],
    get: (id) => orders.get(id),
    create,
    remove: (id) => orders.delete(id),
  }
}

/**
 * Reads a `POST /orders` body: `{ item: non-empty string, quantity: positive integer }`.
 * Returns `undefined` for anything else. (Fastify validates with a JSON schema instead.)
 *
 * @example
 * parseNewOrder({ item: 'bolts', quantity: 100 }) // { item: 'bolts', quantity: 100 }
 */
export function parseNewOrder(body: unknown): NewOrder | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { item, quantity } = body as Record<string, unknown>
  if (typeof item !== 'string' || item.trim() === '' || item.length > 200) return undefined
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity < 1) return undefined
  return { item, quantity }
}
