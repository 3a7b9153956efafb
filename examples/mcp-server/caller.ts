/**
 * A service calling the MCP server with client credentials, as MCP's
 * `io.modelcontextprotocol/oauth-client-credentials` extension describes: it
 * finds the authorization server through the server's RFC 9728 metadata,
 * gets a token for that server (`resource` = its URL, RFC 8707) with
 * `private_key_jwt` (the extension's recommended client authentication), and
 * talks MCP over Streamable HTTP with the token on every request.
 * @m2m-guard/client keeps the token, renews it, and retries once on a 401.
 */
import { createTokenClient, type PrivateKey, type TokenClient } from '@m2m-guard/client'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

/**
 * How the client authenticates at the token endpoint: a private key
 * (`private_key_jwt`, which the extension recommends) or a client secret.
 */
export type McpClientCredentials =
  | {
      /** The client's private key; its public part is registered at the authorization server. */ privateKey: PrivateKey
    }
  | { clientSecret: string }

export type McpCallerOptions = McpClientCredentials & {
  /** The MCP endpoint, e.g. `https://mcp.example.com/mcp`. */
  serverUrl: string
  clientId: string
  /** Scopes to ask for, space-delimited or a list. Default: all the client may have. */
  scope?: string | string[] | undefined
  /** Only for tests: the fetch used for metadata, tokens and MCP. */
  fetch?: typeof fetch
}

/** The resource metadata fields a client uses (RFC 9728 §2). */
interface ResourceMetadata {
  resource: string
  authorization_servers: string[]
}

/**
 * Discovers, authenticates and connects. Close the returned `client` when done.
 *
 * @example
 * const { client } = await connectWithClientCredentials({ serverUrl, clientId: 'assistant', privateKey })
 * const result = await client.callTool({ name: 'list-orders', arguments: {} })
 * await client.close()
 */
export async function connectWithClientCredentials(
  options: McpCallerOptions,
): Promise<{ client: Client; tokens: TokenClient; issuer: string }> {
  const fetchImpl = options.fetch ?? fetch
  const metadata = await discoverResourceMetadata(options.serverUrl, fetchImpl)
  const issuer = metadata.authorization_servers[0]
  if (issuer === undefined)
    throw new Error(`${options.serverUrl}: its metadata names no authorization server`)
  const tokens = createTokenClient({
    issuer, // the token endpoint is discovered from the issuer's metadata
    clientId: options.clientId,
    ...('privateKey' in options
      ? { privateKey: options.privateKey }
      : { clientSecret: options.clientSecret }),
    resource: metadata.resource,
    ...(options.scope !== undefined && { scope: options.scope }),
    fetch: fetchImpl,
  })
  const client = new Client({ name: options.clientId, version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(options.serverUrl), { fetch: tokens.fetch }))
  return { client, tokens, issuer }
}

/**
 * RFC 9728 discovery: the `resource_metadata` URL of the server's 401
 * challenge, else the well-known URL built from the server's URL (§3.1).
 * The document must name the very resource it was fetched for (§3.3).
 */
async function discoverResourceMetadata(
  serverUrl: string,
  fetchImpl: typeof fetch,
): Promise<ResourceMetadata> {
  const unauthenticated = await fetchImpl(serverUrl, { method: 'POST' })
  await unauthenticated.body?.cancel()
  const challenged = /resource_metadata="([^"]+)"/.exec(
    unauthenticated.headers.get('www-authenticate') ?? '',
  )?.[1]
  const url = new URL(serverUrl)
  const wellKnown = `${url.origin}/.well-known/oauth-protected-resource${url.pathname === '/' ? '' : url.pathname}`
  const response = await fetchImpl(challenged ?? wellKnown, { headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`resource metadata at ${response.url}: HTTP ${response.status}`)
  const metadata = (await response.json()) as Partial<ResourceMetadata>
  if (metadata.resource !== serverUrl) {
    throw new Error(`resource metadata names ${JSON.stringify(metadata.resource)}, not ${serverUrl}`)
  }
  if (!Array.isArray(metadata.authorization_servers)) {
    throw new Error('resource metadata has no authorization_servers')
  }
  return metadata as ResourceMetadata
}
