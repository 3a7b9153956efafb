/**
 * Runs the calling service once: MCP_URL, CLIENT_ID and CLIENT_JWK (the
 * client's private JWK, as JSON) or CLIENT_SECRET from the environment;
 * optional SCOPE.
 * Lists the tools, calls `list-orders`, prints what it got.
 */
import { required } from '../shared/env.js'
import { connectWithClientCredentials } from './caller.js'

const { client } = await connectWithClientCredentials({
  serverUrl: required(process.env, 'MCP_URL'),
  clientId: required(process.env, 'CLIENT_ID'),
  ...(process.env.CLIENT_JWK
    ? { privateKey: JSON.parse(process.env.CLIENT_JWK) }
    : { clientSecret: required(process.env, 'CLIENT_SECRET') }),
  scope: process.env.SCOPE || undefined,
})
try {
  const { tools } = await client.listTools()
  console.log('tools:', tools.map((tool) => tool.name).join(', '))
  console.log(
    'list-orders:',
    JSON.stringify((await client.callTool({ name: 'list-orders', arguments: {} })).structuredContent),
  )
} finally {
  await client.close()
}
