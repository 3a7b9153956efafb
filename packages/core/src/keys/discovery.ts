/**
 * Finds the issuer's `jwks_uri` from its metadata: RFC 8414 first (the
 * well-known path inserted before the issuer's path), then OpenID Connect
 * Discovery (appended). The metadata must name exactly the configured issuer
 * (RFC 8414 §3.3), or it is refused: otherwise a document served from one
 * issuer could vouch keys for another.
 */

import { type FetchPolicy, fetchJson } from './fetch-json.js'
import { checkUrlPolicy } from './url-policy.js'

/** The two metadata locations for `issuer`, in the order they are tried. */
export function metadataUrls(issuer: string): URL[] {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin),
    new URL(`${path}/.well-known/openid-configuration`, url.origin),
  ]
}

/**
 * Fetches the metadata and returns its validated `jwks_uri`. Rejects with an
 * Error that says why each location failed.
 */
export async function discoverJwksUri(
  issuer: string,
  policy: FetchPolicy,
): Promise<{ jwksUri: URL; metadataUrl: URL }> {
  const failures: string[] = []
  for (const metadataUrl of metadataUrls(issuer)) {
    let body: unknown
    try {
      body = (await fetchJson(metadataUrl, policy)).body
    } catch (error) {
      failures.push((error as Error).message) // names the URL already
      continue
    }
    try {
      return { jwksUri: readJwksUri(body, issuer, policy.allowInsecureHttp), metadataUrl }
    } catch (error) {
      failures.push(`${metadataUrl.href}: ${(error as Error).message}`)
    }
  }
  throw new Error(`discovery failed for issuer ${issuer} (${failures.join('; ')})`)
}

function readJwksUri(body: unknown, issuer: string, allowInsecureHttp: boolean): URL {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('metadata is not a JSON object')
  }
  const metadata = body as { issuer?: unknown; jwks_uri?: unknown }
  if (metadata.issuer !== issuer) {
    const slashOnly =
      typeof metadata.issuer === 'string' && metadata.issuer.replace(/\/$/, '') === issuer.replace(/\/$/, '')
    throw new Error(
      `metadata names issuer ${JSON.stringify(metadata.issuer)}, not the configured ${JSON.stringify(issuer)}` +
        (slashOnly
          ? ' (they differ only by a trailing slash: configure the issuer exactly as the server writes it)'
          : ''),
    )
  }
  if (typeof metadata.jwks_uri !== 'string') throw new Error('metadata has no "jwks_uri" string')
  let jwksUri: URL
  try {
    jwksUri = new URL(metadata.jwks_uri)
  } catch {
    throw new Error('metadata "jwks_uri" is not an absolute URL')
  }
  try {
    checkUrlPolicy('metadata "jwks_uri"', jwksUri, allowInsecureHttp)
  } catch (error) {
    throw new Error((error as Error).message)
  }
  return jwksUri
}
