/**
 * oidc-provider (panva/node-oidc-provider), a certified third-party authorization
 * server, on 127.0.0.1:0 with the client-credentials grant and JWT access tokens
 * for one API (resource indicators). For interop tests: its tokens, discovery and
 * keys are written by someone else's code, not by @m2m-guard/testing.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { errors } from 'oidc-provider'

export interface OidcProviderServer {
  readonly issuer: string
  readonly tokenEndpoint: string
  close(): Promise<void>
}

export interface OidcProviderOptions {
  /** The API's resource indicator: the `aud` of every access token. */
  audience: string
  clients: { clientId: string; clientSecret: string; scopes: string[] }[]
}

/**
 * Starts oidc-provider signing ES256 access tokens (`typ: at+jwt`) for `audience`.
 *
 * @example
 * ```ts
 * const op = await startOidcProvider({ audience: API, clients: [{ clientId: 'ledger', clientSecret: 's', scopes: ['orders:read'] }] })
 * ```
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProviderServer> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'op-es256', use: 'sig', alg: 'ES256' }
  const scopes = [...new Set(options.clients.flatMap((client) => client.scopes))]
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    clients: options.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: client.scopes.join(' '),
      // The provider has only an ES256 key; clients default to RS256 ID tokens otherwise.
      id_token_signed_response_alg: 'ES256',
    })),
    scopes,
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => options.audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          if (resource !== options.audience) throw new errors.InvalidTarget()
          return {
            scope: scopes.join(' '),
            audience: options.audience,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }
        },
      },
    },
  })
  server.on('request', provider.callback())
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
