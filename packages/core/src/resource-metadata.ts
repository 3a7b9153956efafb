/**
 * RFC 9728 protected resource metadata: the document an API publishes about
 * itself (which authorization servers issue its tokens, which scopes it
 * knows, how tokens are presented), and where it lives, the well-known URL
 * every 401 and 403 challenge points to (`resource_metadata`).
 */
import { isScopeToken } from './challenge.js'
import { checkUrlPolicy } from './keys/url-policy.js'
import { parseUrl, plainObject } from './validate-fields.js'

/**
 * The `resourceMetadata` option.
 *
 * @example
 * createVerifier({ issuer, audience, resourceMetadata: { resource: 'https://orders.example.com', resourceName: 'Orders API' } })
 */
export interface ResourceMetadataOptions {
  /** The resource identifier (RFC 9728 §1.2): an https URL without fragment, usually the API's base URL and its `aud`. */
  resource: string | URL
  /** `scopes_supported`. Default: every scope named by a requirement that a route declared. */
  scopesSupported?: readonly string[] | undefined
  /** `resource_name`: a human-readable name. */
  resourceName?: string | undefined
  /** `resource_documentation`: a URL of documentation for developers. */
  documentation?: string | URL | undefined
}

/**
 * The RFC 9728 §2 document, as `verifier.resourceMetadata()` returns it and
 * the adapters serve it.
 *
 * @example
 * const doc: ProtectedResourceMetadata = verifier.resourceMetadata()!
 * doc.authorization_servers // ['https://auth.example.com']
 */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers: string[]
  scopes_supported?: string[]
  bearer_methods_supported: string[]
  resource_name?: string
  resource_documentation?: string
  dpop_signing_alg_values_supported?: string[]
  dpop_bound_access_tokens_required?: boolean
  tls_client_certificate_bound_access_tokens?: boolean
}

/** The option, validated: the document's fixed parts and its well-known URL. */
export interface ResolvedResourceMetadata {
  readonly resource: string
  readonly url: string
  readonly scopesSupported: readonly string[] | undefined
  readonly resourceName: string | undefined
  readonly documentation: string | undefined
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
const FIELDS = new Set(['resource', 'scopesSupported', 'resourceName', 'documentation'])

/**
 * The metadata's well-known URL for `resource` (RFC 9728 §3.1): the
 * well-known path goes between the host and the resource's path, whose
 * terminating slash is dropped first.
 *
 * @example
 * protectedResourceMetadataUrl('https://orders.example.com/v1') // 'https://orders.example.com/.well-known/oauth-protected-resource/v1'
 * protectedResourceMetadataUrl('https://orders.example.com/')   // 'https://orders.example.com/.well-known/oauth-protected-resource'
 */
export function protectedResourceMetadataUrl(resource: string | URL): string {
  const url = new URL(resource)
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')
  return `${url.origin}${WELL_KNOWN}${path}${url.search}`
}

/** Validates the `resourceMetadata` option; a TypeError names the bad field. */
export function resolveResourceMetadata(
  value: unknown,
  allowInsecureHttp: boolean,
): ResolvedResourceMetadata | undefined {
  if (value === undefined) return undefined
  const options = plainObject(
    '"resourceMetadata" option',
    value,
    "{ resource: 'https://orders.example.com' }",
  )
  for (const field of Object.keys(options)) {
    if (!FIELDS.has(field)) throw new TypeError(`"resourceMetadata" option has unknown field "${field}"`)
  }
  const resource = parseUrl('"resourceMetadata.resource" option', options.resource)
  checkUrlPolicy('"resourceMetadata.resource" option', resource, allowInsecureHttp)
  if (resource.hash !== '' || String(options.resource).includes('#')) {
    throw new TypeError('"resourceMetadata.resource" option must not have a fragment (RFC 9728 §1.2)')
  }
  const { scopesSupported, resourceName, documentation } = options
  if (scopesSupported !== undefined) {
    if (
      !Array.isArray(scopesSupported) ||
      scopesSupported.some((scope) => typeof scope !== 'string' || !isScopeToken(scope))
    ) {
      throw new TypeError('"resourceMetadata.scopesSupported" option must be an array of scope tokens')
    }
  }
  if (resourceName !== undefined && (typeof resourceName !== 'string' || resourceName === '')) {
    throw new TypeError('"resourceMetadata.resourceName" option must be a non-empty string')
  }
  return {
    // As configured, not as the URL parser spells it: clients compare `resource` with the identifier they know.
    resource: String(options.resource),
    url: protectedResourceMetadataUrl(resource),
    scopesSupported: scopesSupported === undefined ? undefined : [...new Set(scopesSupported as string[])],
    resourceName: resourceName as string | undefined,
    documentation:
      documentation === undefined
        ? undefined
        : parseUrl('"resourceMetadata.documentation" option', documentation).href,
  }
}

/** What the rest of the verifier adds to the document. */
export interface MetadataInputs {
  /** Exact issuers of every profile, in order (templates are not authorization servers one can fetch). */
  readonly authorizationServers: readonly string[]
  /** Scopes named by declared requirements, in order of declaration. */
  readonly declaredScopes: Iterable<string>
  /** With DPoP on: the proof algorithms accepted, and whether Bearer is refused. */
  readonly dpop?: { readonly algorithms: readonly string[]; readonly required: boolean } | undefined
  /** With mTLS on: certificate-bound tokens are accepted. */
  readonly mtls?: boolean | undefined
}

/** The RFC 9728 document, built afresh (routes may still be declaring requirements). */
export function buildResourceMetadata(
  config: ResolvedResourceMetadata,
  inputs: MetadataInputs,
): ProtectedResourceMetadata {
  const scopes = config.scopesSupported ?? [...inputs.declaredScopes]
  const document: ProtectedResourceMetadata = {
    resource: config.resource,
    authorization_servers: [...new Set(inputs.authorizationServers)],
    ...(scopes.length === 0 ? {} : { scopes_supported: [...scopes] }),
    bearer_methods_supported: ['header'],
    ...(config.resourceName === undefined ? {} : { resource_name: config.resourceName }),
    ...(config.documentation === undefined ? {} : { resource_documentation: config.documentation }),
  }
  if (inputs.dpop !== undefined) {
    document.dpop_signing_alg_values_supported = [...inputs.dpop.algorithms]
    if (inputs.dpop.required) document.dpop_bound_access_tokens_required = true
  }
  if (inputs.mtls === true) document.tls_client_certificate_bound_access_tokens = true
  return document
}
