/**
 * An MCP server (official TypeScript SDK, Streamable HTTP) whose tools need
 * different scopes, guarded by @m2m-guard/express. Every request to `/mcp`
 * needs a token for this server (audience = its URL, RFC 8707 / MCP); a tool
 * call also needs the tool's scope. The RFC 9728 metadata tells clients which
 * authorization server issues those tokens.
 *
 *   ISSUER=http://127.0.0.1:4000 MCP_URL=http://127.0.0.1:3100/mcp PORT=3100 node dist/mcp-server/main.js
 */
import type { IncomingMessage } from 'node:http'
import type { AuthResult, VerifierOptions } from '@m2m-guard/core'
import { createGuard } from '@m2m-guard/express'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import express, { type Express, type Request, type Response } from 'express'
import { required } from '../shared/env.js'
import { listening, type RunningServer } from '../shared/listening.js'
import { createOrderStore, type OrderStore } from '../shared/orders.js'
import { requireToolScopes } from './tool-scopes.js'
import { registerTools } from './tools.js'

/** Verifier options without `audience`: an MCP server's audience is its own URL, `resource`. */
export type McpAppOptions = Omit<VerifierOptions, 'audience'> & {
  /** The MCP endpoint's canonical URL, e.g. `https://mcp.example.com/mcp`. */
  resource: string
  /** The authorization server clients get tokens from (its issuer identifier). */
  issuer: string
}

/**
 * Builds the app without listening.
 *
 * @example
 * const app = createApp({ issuer: 'https://auth.example.com', resource: 'https://mcp.example.com/mcp' })
 */
export function createApp({ resource, ...options }: McpAppOptions): Express {
  const { pathname } = new URL(resource)
  const guard = createGuard({
    ...options,
    audience: resource,
    // scopes_supported: every scope a tool's requirement declares (tool-scopes.ts).
    resourceMetadata: { resource, resourceName: 'Orders MCP server' },
  })
  const orders = createOrderStore()
  const app = express()

  // RFC 9728: the metadata MCP clients look for, at /.well-known/oauth-protected-resource/mcp;
  // every 401 and 403 challenge points to it (resource_metadata="…").
  app.use(guard.metadata())

  // The guard runs before express.json(): a caller without a valid token never gets its body parsed.
  app.post(pathname, guard.require(), express.json(), requireToolScopes(guard), (req, res) => {
    void serveMcp(orders, req, res)
  })
  // Stateless server: no server-initiated streams (GET) and no sessions to end (DELETE).
  app.all(pathname, guard.require(), (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ error: 'method_not_allowed' })
  })
  return app
}

/**
 * One MCP server and transport per request (the SDK's stateless mode): a
 * client-credentials caller needs no session, and nothing is kept between calls.
 */
async function serveMcp(orders: OrderStore, req: Request, res: Response): Promise<void> {
  const server = new McpServer({ name: 'orders', version: '1.0.0' })
  registerTools(server, orders)
  // No sessionIdGenerator: stateless. JSON responses: every tool here answers at once, no stream needed.
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
  res.on('close', () => {
    void transport.close()
    void server.close()
  })
  try {
    await server.connect(transport)
    // The SDK hands `req.auth` to tool handlers as `extra.authInfo`, in its own shape:
    // from here on, req.auth is that shape.
    const sdkRequest = req as unknown as IncomingMessage & { auth?: AuthInfo }
    sdkRequest.auth = toAuthInfo(req.auth)
    await transport.handleRequest(sdkRequest, res, req.body)
  } catch (error) {
    console.error('MCP request failed', error)
    if (!res.headersSent) {
      res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'internal error' }, id: null })
    }
  }
}

function toAuthInfo(auth: AuthResult): AuthInfo {
  return {
    token: auth.token,
    clientId: auth.clientId ?? '',
    scopes: [...auth.scopes],
    ...(typeof auth.payload.exp === 'number' && { expiresAt: auth.payload.exp }),
    extra: { issuer: auth.issuer },
  }
}

/**
 * Reads ISSUER, MCP_URL (this server's public URL, the tokens' audience),
 * PORT (default 3100) and HOST (default 127.0.0.1); fetches the issuer's keys; listens.
 *
 * @example
 * const server = await start({ ISSUER: 'http://127.0.0.1:4000', MCP_URL: 'http://127.0.0.1:3100/mcp' })
 */
export async function start(env: Record<string, string | undefined>): Promise<RunningServer> {
  const issuer = required(env, 'ISSUER')
  const resource = required(env, 'MCP_URL')
  const port = Number(env.PORT ?? 3100)
  const app = createApp({ issuer, resource })
  return listening(app.listen(port, env.HOST ?? '127.0.0.1'))
}
