import { TokenRequestError } from './errors.js'
import { ExchangeError, type ExchangeLimits, exchange } from './http-exchange.js'
import { parseRetryAfter } from './retry.js'
import { insecureEndpointReason } from './url-policy.js'

/** Redirects of one metadata request followed at most (same origin only). */
const MAX_REDIRECTS = 3

/**
 * Where the issuer's metadata may be, in the order tried: RFC 8414 §3.1 (the well-known segment
 * inserted between host and path), then OpenID Connect Discovery 1.0 (appended to the issuer).
 *
 * @example
 * ```ts
 * metadataUrls('https://auth.example.com/tenant-1')
 * // ['https://auth.example.com/.well-known/oauth-authorization-server/tenant-1',
 * //  'https://auth.example.com/tenant-1/.well-known/openid-configuration']
 * ```
 */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ]
}

/**
 * What discovery needs: the fetch and the per-request limits.
 *
 * @example
 * ```ts
 * const context: DiscoveryContext = { fetch, clock: Date.now, limits: { timeout: 10_000, maxResponseSize: 65_536 } }
 * ```
 */
export interface DiscoveryContext {
  fetch: typeof globalThis.fetch
  clock: () => number
  limits: ExchangeLimits
  /** The client presents a certificate: use `mtls_endpoint_aliases.token_endpoint` when given (RFC 8705 §5). */
  mtls?: boolean
}

function failure(
  message: string,
  extra: { status?: number; retryable?: boolean; retryAfter?: number; cause?: unknown },
) {
  return new TokenRequestError(`discovery failed: ${message}`, { reason: 'discovery_failed', ...extra })
}

function tokenEndpointFrom(body: string, issuer: string, url: string, mtls: boolean): string {
  let metadata: unknown
  try {
    metadata = JSON.parse(body)
  } catch {
    throw failure(`${url} did not answer with JSON`, {})
  }
  if (typeof metadata !== 'object' || metadata === null)
    throw failure(`${url} did not answer with an object`, {})
  const fields = metadata as Record<string, unknown>
  // RFC 8414 §3.3: metadata that names another issuer must not be used (it could be an impostor's).
  if (fields.issuer !== issuer) throw failure(`${url} names a different issuer`, {})
  const aliases = fields.mtls_endpoint_aliases
  const alias =
    mtls && typeof aliases === 'object' && aliases !== null
      ? (aliases as Record<string, unknown>).token_endpoint
      : undefined
  const field = alias === undefined ? 'token_endpoint' : 'mtls_endpoint_aliases.token_endpoint'
  const endpoint = alias ?? fields.token_endpoint
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) {
    throw failure(`${url} has no valid ${field}`, {})
  }
  const parsed = new URL(endpoint)
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw failure(`${url} has no http(s) ${field}`, {})
  // RFC 6749 §3.2: the token endpoint gets the credentials in clear text, so TLS MUST be used.
  const insecure = insecureEndpointReason(parsed, new URL(issuer))
  if (insecure !== undefined) {
    throw failure(
      `${url} names ${field} ${parsed.origin}${parsed.pathname}, which is refused: ${insecure} (RFC 6749 §3.2: credentials go only over TLS); give "tokenEndpoint" yourself if this path is trusted`,
      {},
    )
  }
  return endpoint
}

/**
 * GETs one metadata location. A redirect is followed only within the same origin, at most
 * {@link MAX_REDIRECTS} times: whoever serves the document picks the token endpoint, so it must be
 * the issuer's own origin (as core does for key sets), and an https→http hop is another origin.
 */
async function fetchMetadata(start: string, context: DiscoveryContext) {
  let url = start
  for (let hop = 0; ; hop++) {
    const result = await exchange(
      context.fetch,
      url,
      { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual' },
      context.limits,
    )
    if (result.status < 300 || result.status >= 400 || result.status === 304) return { url, result }
    const location = result.headers.get('location')
    if (location === null || !URL.canParse(location, url)) {
      throw failure(`${url} answered ${result.status} without a valid Location`, {})
    }
    const to = new URL(location, url)
    if (to.origin !== new URL(url).origin) {
      throw failure(`${url} redirected to another origin (${to.origin}), which is refused`, {})
    }
    if (hop >= MAX_REDIRECTS) throw failure(`${start}: more than ${MAX_REDIRECTS} redirects`, {})
    url = to.href
  }
}

/**
 * Finds the issuer's token endpoint from its metadata. A 4xx means "not here" and the next location
 * is tried; network errors, timeouts, 5xx and 429 are retryable failures; metadata for another issuer,
 * without a token endpoint, or naming one the credentials must not go to (plain http, see
 * {@link insecureEndpointReason}), and a redirect to another origin, are final ones.
 *
 * @example
 * ```ts
 * const tokenEndpoint = await discoverTokenEndpoint('https://auth.example.com', context)
 * ```
 */
export async function discoverTokenEndpoint(issuer: string, context: DiscoveryContext): Promise<string> {
  let lastStatus: number | undefined
  for (const url of metadataUrls(issuer)) {
    let fetched: Awaited<ReturnType<typeof fetchMetadata>>
    try {
      fetched = await fetchMetadata(url, context)
    } catch (cause) {
      if (cause instanceof TokenRequestError) throw cause
      if (cause instanceof ExchangeError && cause.kind === 'too_large')
        throw failure(`${url}: ${cause.message}`, {})
      throw failure(`${url}: ${cause instanceof Error ? cause.message : 'request failed'}`, {
        retryable: true,
        cause,
      })
    }
    const { result } = fetched
    const { status } = result
    if (status === 200) return tokenEndpointFrom(result.body, issuer, fetched.url, context.mtls === true)
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfter = parseRetryAfter(result.headers.get('retry-after'), context.clock())
      throw failure(`${url} answered ${status}`, {
        status,
        retryable: true,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
    }
    lastStatus = status
  }
  throw failure(
    `no authorization server metadata found for ${issuer}`,
    lastStatus === undefined ? {} : { status: lastStatus },
  )
}

/**
 * Remembers the token endpoint once discovered; a failed discovery is not remembered, so the next
 * token request (or retry) tries again.
 *
 * @example
 * ```ts
 * const resolveEndpoint = createEndpointResolver({ issuer: 'https://auth.example.com' }, context)
 * await resolveEndpoint() // discovers
 * await resolveEndpoint() // remembered
 * ```
 */
export function createEndpointResolver(
  endpoint: { tokenEndpoint: string } | { issuer: string },
  context: DiscoveryContext,
): () => Promise<string> {
  if ('tokenEndpoint' in endpoint) return async () => endpoint.tokenEndpoint
  let discovered: string | undefined
  return async () => {
    discovered ??= await discoverTokenEndpoint(endpoint.issuer, context)
    return discovered
  }
}
