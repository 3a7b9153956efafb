/**
 * A real issuer for the peers that fetch keys: node:http on 127.0.0.1:0
 * serving the JWKS and both discovery documents. Every verifier in the
 * benchmarks gets its keys from here (or, for fast-jwt, a static PEM), and
 * every cache is warmed before timing, so no fetch is ever timed.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface JwksServer {
  /** The issuer: `http://127.0.0.1:<port>` (no trailing slash). */
  issuer: string
  jwksUri: string
  /** Requests served, by path: lets the report show that caches held. */
  hits: Map<string, number>
  close(): Promise<void>
}

export async function startJwksServer(jwks: { keys: Record<string, unknown>[] }): Promise<JwksServer> {
  const hits = new Map<string, number>()
  let issuer = ''
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string
    hits.set(path, (hits.get(path) ?? 0) + 1)
    let body: unknown
    if (path === '/.well-known/jwks.json') body = jwks
    else if (
      path === '/.well-known/openid-configuration' ||
      path === '/.well-known/oauth-authorization-server'
    ) {
      body = { issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, token_endpoint: `${issuer}/token` }
    }
    if (body === undefined) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' })
    response.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
