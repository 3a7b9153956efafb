/**
 * Lists the orders of an orders API as a client-credentials client (DPOP=true for DPoP-bound tokens;
 * CLIENT_CERT/CLIENT_KEY/CA_CERT instead of CLIENT_SECRET for mutual TLS):
 *   CLIENT_ID=billing CLIENT_SECRET=… ISSUER=http://127.0.0.1:4000 ORDERS_URL=http://127.0.0.1:3000 node dist/caller/main.js
 */
import { createOrdersCaller, readCallerConfig } from './orders-client.js'

try {
  const orders = createOrdersCaller(readCallerConfig(process.env))
  const list = await orders.listOrders()
  console.log(`${list.length} orders`)
  for (const order of list)
    console.log(`  ${order.id}  ${order.quantity} × ${order.item}  (by ${order.createdBy})`)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
}
