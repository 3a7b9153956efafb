/**
 * The MCP server's tools and the scope each needs. The table is the single
 * source: `registerTools` exposes the tools, and `tool-scopes.ts` turns the
 * same table into the guard's requirements, so a tool cannot be added without
 * saying who may call it.
 */

import type { Requirement } from '@m2m-guard/express'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { OrderStore } from '../shared/orders.js'

/** Tool name → what a token must grant to call it. */
export const TOOL_REQUIREMENTS = {
  'list-orders': { scopes: ['orders:read'] },
  'cancel-order': { scopes: ['orders:cancel'] },
} as const satisfies Record<string, Requirement>

export type ToolName = keyof typeof TOOL_REQUIREMENTS

/**
 * Registers the tools on `server`. The handlers do not check scopes: the HTTP
 * guard has, before the request reached the MCP layer.
 *
 * @example
 * registerTools(new McpServer({ name: 'orders', version: '1.0.0' }), createOrderStore())
 */
export function registerTools(server: McpServer, orders: OrderStore): void {
  server.registerTool(
    'list-orders',
    { description: 'Lists the open orders.', annotations: { readOnlyHint: true } },
    () => {
      const list = orders.list()
      return {
        content: [{ type: 'text', text: JSON.stringify(list) }],
        structuredContent: { orders: list },
      }
    },
  )
  server.registerTool(
    'cancel-order',
    {
      description: 'Cancels an order.',
      inputSchema: { orderId: z.string().describe('the order id, like ord_1') },
      annotations: { destructiveHint: true },
    },
    ({ orderId }, extra) => {
      const cancelled = orders.remove(orderId)
      const by = extra.authInfo?.clientId
      return {
        content: [
          { type: 'text', text: cancelled ? `${orderId} cancelled by ${by}` : `no order ${orderId}` },
        ],
        isError: !cancelled,
      }
    },
  )
}
