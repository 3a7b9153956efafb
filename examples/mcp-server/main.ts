/** Runs the MCP server with ISSUER, MCP_URL and PORT from the environment. */
import { start } from './app.js'

const server = await start(process.env)
console.log(`MCP server listening on ${server.url}/mcp`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())
