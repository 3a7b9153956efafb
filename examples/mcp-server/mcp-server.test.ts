/**
 * End to end on 127.0.0.1: the local authorization server, the MCP server
 * guarded by m2m-guard, and services calling it with client credentials
 * through the official MCP client. Nothing is mocked.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from './app.js'
import { connectWithClientCredentials } from './caller.js'

function clientKey(kid: string): { privateKey: KeyObject; jwks: { keys: Record<string, unknown>[] } } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKey,
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] },
  }
}
const assistant = clientKey('assistant-1')
const opsAgent = clientKey('ops-agent-1')

let http: Server
let issuer: AuthServer
let resource: string
const clients: Client[] = []

beforeAll(async () => {
  // Listen first: the server's URL is the audience its tokens must carry.
  http = createServer()
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  resource = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`
  issuer = await createAuthServer({
    audience: resource,
    clients: [
      { clientId: 'assistant', jwks: assistant.jwks, scopes: ['orders:read'] },
      { clientId: 'ops-agent', jwks: opsAgent.jwks, scopes: ['orders:read', 'orders:cancel'] },
    ],
  })
  http.on('request', createApp({ issuer: issuer.issuer, resource }))
})
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()))
  http.closeAllConnections()
  await new Promise((resolve) => http.close(resolve))
  await issuer.close()
})

async function connect(clientId: string, privateKey: KeyObject) {
  const connection = await connectWithClientCredentials({ serverUrl: resource, clientId, privateKey })
  clients.push(connection.client)
  return connection
}

const metadataUrl = () => `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`
const toolCall = (name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } })
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

describe('MCP server guarded by m2m-guard', () => {
  it('serves its RFC 9728 resource metadata', async () => {
    const response = await fetch(metadataUrl())
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      resource,
      authorization_servers: [issuer.issuer],
      // The scopes the tools' requirements declare.
      scopes_supported: ['orders:read', 'orders:cancel'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders MCP server',
    })
  })

  it('refuses a request without a token with 401 and a challenge that points to the metadata', async () => {
    const response = await fetch(resource, {
      method: 'POST',
      headers: mcpHeaders,
      body: toolCall('list-orders', {}),
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl()}"`)
    expect(await response.json()).toEqual({
      error: 'unauthorized',
      error_description: 'authentication required',
    })
  })

  it('refuses a token issued for another resource (RFC 8707 audience)', async () => {
    const token = await issuer.mint({
      client_id: 'assistant',
      scope: 'orders:read',
      aud: 'https://other.example/mcp',
    })
    const response = await fetch(resource, {
      method: 'POST',
      headers: { ...mcpHeaders, authorization: `Bearer ${token}` },
      body: toolCall('list-orders', {}),
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({
      error: 'invalid_token',
      error_description: 'token is not meant for this audience',
    })
  })

  it('a client-credentials service discovers the issuer, lists the tools and calls one it may', async () => {
    const { client, issuer: discovered } = await connect('assistant', assistant.privateKey)
    expect(discovered).toBe(issuer.issuer)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toEqual(['list-orders', 'cancel-order'])
    const result = await client.callTool({ name: 'list-orders', arguments: {} })
    expect(result.isError).toBeFalsy()
    expect(result.structuredContent).toEqual({
      orders: [
        { id: 'ord_1', item: 'widgets', quantity: 12, createdBy: 'billing' },
        { id: 'ord_2', item: 'gears', quantity: 3, createdBy: 'billing' },
      ],
    })
  })

  it('a tool needing a scope the client lacks is refused with 403 insufficient_scope, before it runs', async () => {
    const { client, tokens } = await connect('assistant', assistant.privateKey)
    const response = await tokens.fetch(resource, {
      method: 'POST',
      headers: mcpHeaders,
      body: toolCall('cancel-order', { orderId: 'ord_1' }),
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="missing required scope: orders:cancel", scope="orders:cancel", resource_metadata="${metadataUrl()}"`,
    )
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'missing required scope: orders:cancel',
    })
    // Through the MCP client, the same refusal is an error; the order was not cancelled.
    await expect(
      client.callTool({ name: 'cancel-order', arguments: { orderId: 'ord_1' } }),
    ).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('missing required scope: orders:cancel'),
    })
    const listed = await client.callTool({ name: 'list-orders', arguments: {} })
    expect((listed.structuredContent as { orders: unknown[] }).orders).toHaveLength(2)
  })

  it('a batch is refused if any of its tool calls needs a scope the client lacks', async () => {
    const { tokens } = await connect('assistant', assistant.privateKey)
    const batch = [
      JSON.parse(toolCall('list-orders', {})),
      JSON.parse(toolCall('cancel-order', { orderId: 'ord_1' })),
    ]
    const response = await tokens.fetch(resource, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify(batch),
    })
    expect(response.status).toBe(403)
    expect(await response.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'missing required scope: orders:cancel',
    })
  })

  it('a client granted the scope calls the same tool', async () => {
    const { client } = await connect('ops-agent', opsAgent.privateKey)
    const result = await client.callTool({ name: 'cancel-order', arguments: { orderId: 'ord_2' } })
    expect(result.content).toEqual([{ type: 'text', text: 'ord_2 cancelled by ops-agent' }])
  })
})
