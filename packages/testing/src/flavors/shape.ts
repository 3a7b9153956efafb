import type { JWK } from 'jose'
import type { ClientRecord } from '../clients.js'
import type { FormParams } from '../form-params.js'

/**
 * Providers the testing server can imitate.
 *
 * @example
 * ```ts
 * const server = await createAuthServer({ flavor: 'entra' satisfies FlavorName })
 * ```
 */
export type FlavorName = 'auth0' | 'okta' | 'entra' | 'entra-v1' | 'cognito' | 'keycloak' | 'pingone'

/** What a token endpoint grants: scopes, and `aud` (undefined: the token has none). */
export interface Grant {
  readonly scopes: string[]
  readonly audience: string | string[] | undefined
}

/** What a flavor knows about one token when it writes the claims. */
export interface TokenFacts {
  readonly clientId: string
  /** Granted scopes; undefined when minting by hand (no scope claims then). */
  readonly scopes: readonly string[] | undefined
  readonly audience: string | string[] | undefined
  /** Seconds since the epoch. */
  readonly now: number
}

/** Where a flavor serves things, as paths below the server's origin. */
export interface FlavorLayout {
  /** The issuer's path: `''`, `'/'` (a trailing slash), `'/oauth2/default'`, … */
  readonly issuerPath: string
  readonly jwksPath: string
  readonly tokenPath: string
  /** Every path serving the metadata document; the first is `AuthServer.metadataUrl`. */
  readonly metadataPaths: readonly string[]
}

/**
 * One provider's shape, bound to a tenant: layout, header and claims of its
 * client-credentials access tokens, and how its token endpoint reads a request.
 *
 * @example
 * ```ts
 * const shape = flavorShape('okta', 'default')
 * shape.layout.jwksPath // '/oauth2/default/v1/keys'
 * ```
 */
export interface FlavorShape {
  readonly name: FlavorName
  readonly tenant: string | undefined
  /** `aud` when neither the client nor the request names one, unless the server's `audience` is set. */
  readonly defaultAudience: string | undefined
  readonly layout: FlavorLayout
  /** The `typ` header; null for none. */
  readonly typ: string | null
  /** The claim `mint()` reads the client id from when the claims name one. */
  readonly clientIdClaim: string
  /** Whether the token endpoint's answer carries `scope`. */
  readonly replyScope: boolean
  /** Header members besides `alg`, `typ`, `kid` (Entra v1's `x5t`). */
  header?(kid: string | undefined): Record<string, unknown>
  /** A published key, with members the provider adds (Entra v2's `issuer`). */
  publishKey?(jwk: JWK, issuer: string): JWK
  /** The claims besides `iat` and `exp` (which minting adds). */
  claims(issuer: string, facts: TokenFacts): Record<string, unknown>
  /** How the token endpoint reads scope and audience; without it, the standard rules. */
  grant?(params: FormParams, client: ClientRecord, defaultAudience: string): Grant
}
