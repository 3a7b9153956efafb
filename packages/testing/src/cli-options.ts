import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { FlavorName } from './flavors/shape.js'
import type { AuthServerOptions, RegisteredClient, SigningAlgorithm } from './options.js'

/** Usage text of `m2m-guard-issuer`. */
export const USAGE = `Usage: m2m-guard-issuer [options]

A local OAuth 2.0 authorization server, for tests and local development only.

Options:
  --port <n>                 port to listen on (default 0: a free port)
  --host <host>              interface to listen on (default 127.0.0.1)
  --issuer-path <path>       issuer path, e.g. /tenant-a (default none)
  --alg <alg>                RS256 (default), RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA
  --lifetime <seconds>       access token lifetime (default 300)
  --audience <aud>           default audience (default https://api.example, or the flavor's)
  --flavor <provider>        imitate a provider: auth0, okta, entra, entra-v1, cognito, keycloak, pingone
  --tenant <id>              the flavor's tenant: Entra tenant id, Okta server id, Cognito pool id,
                             Keycloak realm, PingOne environment id
  --client <id:secret:scopes>  register a client; scopes comma-separated; repeatable
                             e.g. --client billing:s3cret:orders:read,orders:write
  --clients-file <file>      JSON array of clients: { clientId, clientSecret?, jwks?, scopes, audience?, tokenLifetime? }
  --json                     print the endpoints as one JSON line instead of the banner
  -h, --help                 show this help

Without clients, a demo client is registered and its credentials are printed.`

/** What the command line asks for. */
export interface CliRequest {
  readonly help: boolean
  readonly json: boolean
  readonly options: AuthServerOptions & { clients: RegisteredClient[] }
}

/**
 * Parses `argv` (without node and script). Throws a TypeError that names the flag on bad input.
 *
 * @example
 * ```ts
 * const { options } = await parseCli(['--port', '4000', '--client', 'billing:s3cret:orders:read'])
 * ```
 */
export async function parseCli(argv: string[]): Promise<CliRequest> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'issuer-path': { type: 'string' },
      alg: { type: 'string' },
      lifetime: { type: 'string' },
      audience: { type: 'string' },
      flavor: { type: 'string' },
      tenant: { type: 'string' },
      client: { type: 'string', multiple: true },
      'clients-file': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const clients = (values.client ?? []).map(parseClientFlag)
  if (values['clients-file'] !== undefined) clients.push(...(await readClientsFile(values['clients-file'])))
  const options: CliRequest['options'] = { clients }
  if (values.port !== undefined) options.port = integerFlag(values.port, '--port')
  if (values.host !== undefined) options.host = values.host
  if (values['issuer-path'] !== undefined) options.issuerPath = values['issuer-path']
  if (values.alg !== undefined) options.algorithm = values.alg as SigningAlgorithm
  if (values.lifetime !== undefined) options.tokenLifetime = integerFlag(values.lifetime, '--lifetime')
  if (values.audience !== undefined) options.audience = values.audience
  // Checked by createAuthServer, whose TypeError names the option.
  if (values.flavor !== undefined) options.flavor = values.flavor as FlavorName
  if (values.tenant !== undefined) options.tenant = values.tenant
  return { help: values.help, json: values.json, options }
}

/**
 * Reads `id:secret:scope1,scope2`. Only the first two colons separate, since scopes such as
 * `orders:read` contain colons themselves.
 *
 * @example
 * ```ts
 * parseClientFlag('billing:s3cret:orders:read,orders:write').scopes // ['orders:read', 'orders:write']
 * ```
 */
export function parseClientFlag(value: string): RegisteredClient {
  const first = value.indexOf(':')
  const second = first < 0 ? -1 : value.indexOf(':', first + 1)
  if (first <= 0 || second < 0 || second === first + 1) {
    throw new TypeError(`--client must be id:secret:scope1,scope2, got "${value}"`)
  }
  const scopes = value
    .slice(second + 1)
    .split(',')
    .filter((scope) => scope !== '')
  return { clientId: value.slice(0, first), clientSecret: value.slice(first + 1, second), scopes }
}

async function readClientsFile(path: string): Promise<RegisteredClient[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new TypeError(`--clients-file: cannot read ${path} as JSON: ${(cause as Error).message}`)
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { clients?: unknown } | null)?.clients
  if (!Array.isArray(list))
    throw new TypeError('--clients-file must hold an array of clients or { "clients": [...] }')
  return list as RegisteredClient[]
}

function integerFlag(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new TypeError(`${flag} must be a non-negative integer, got "${value}"`)
  return Number(value)
}
