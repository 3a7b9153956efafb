import type { RegisteredClient } from './options.js'
import type { AuthServer } from './server.js'

/**
 * The text `m2m-guard-issuer` prints at start: endpoints, clients, and a curl command that
 * gets a token from the first client with a secret.
 *
 * @example
 * ```ts
 * process.stdout.write(banner(server, clients, true))
 * ```
 */
export function banner(server: AuthServer, clients: readonly RegisteredClient[], demo: boolean): string {
  const lines = [
    'm2m-guard-issuer: a local OAuth 2.0 authorization server. For tests and local development only:',
    'keys and secrets live in memory and vanish when it stops. Never use it in production.',
    '',
    ...(server.flavor === undefined
      ? []
      : [
          `  flavor          ${server.flavor}${server.tenant === undefined ? '' : ` (tenant ${server.tenant})`}`,
        ]),
    `  issuer          ${server.issuer}`,
    `  metadata        ${server.metadataUrl}`,
    `  jwks_uri        ${server.jwksUri}`,
    `  token_endpoint  ${server.tokenEndpoint}`,
    '',
    demo ? '  clients (a demo client, since none was given)' : '  clients',
    ...clients.map((client) => `    ${describeClient(client)}`),
  ]
  const first = clients.find((client) => client.clientSecret !== undefined)
  if (first !== undefined) {
    const scope = server.flavor?.startsWith('entra') ? dotDefault(first, server.audience) : undefined
    lines.push('', '  get a token:', `    ${curlCommand(server.tokenEndpoint, first, scope)}`)
  }
  lines.push('', 'Stop with Ctrl+C.', '')
  return lines.join('\n')
}

/**
 * A ready-to-paste curl command for a token. The credentials are form-urlencoded before curl
 * joins them, as RFC 6749 §2.3.1 requires and the server expects.
 *
 * @example
 * ```ts
 * curlCommand('http://127.0.0.1:4000/token', { clientId: 'billing', clientSecret: 's', scopes: ['a'] })
 * // "curl -s -u 'billing:s' -d grant_type=client_credentials -d 'scope=a' http://127.0.0.1:4000/token"
 * ```
 */
export function curlCommand(tokenEndpoint: string, client: RegisteredClient, scopeParam?: string): string {
  const credentials = `${formEncode(client.clientId)}:${formEncode(client.clientSecret ?? '')}`
  const requested = scopeParam ?? client.scopes.join(' ')
  const scope = requested !== '' ? ` -d ${shellQuote(`scope=${requested}`)}` : ''
  return `curl -s -u ${shellQuote(credentials)} -d grant_type=client_credentials${scope} ${shellQuote(tokenEndpoint)}`
}

// Entra's client-credentials request names the API, not scopes: {App ID URI}/.default.
function dotDefault(client: RegisteredClient, fallback: string): string {
  const audience = [client.audience ?? []].flat()[0] ?? fallback
  return `${audience.includes('://') ? audience : `api://${audience}`}/.default`
}

function describeClient(client: RegisteredClient): string {
  const auth = client.clientSecret !== undefined ? `secret: ${client.clientSecret}` : 'private_key_jwt'
  return `${client.clientId}  ${auth}  scopes: ${client.scopes.join(' ') || '(none)'}`
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2)
}

// Leaves plain words bare, so the command reads cleanly; quotes anything else for POSIX shells.
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`
}
