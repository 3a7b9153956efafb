/**
 * An issuer profile: everything that depends on who issued a token (its
 * `iss`, audience, keys, algorithms, clock rules, claim names). One verifier
 * holds several; the token's unverified `iss` picks one before any network I/O.
 */
import type { JSONWebKeySet } from 'jose'
import type { KeySource } from '../keys/key-source.js'
import type { AsymmetricAlgorithm } from '../options.js'
import type { IssuerTemplate } from './issuer-template.js'

/** A value a claim must have exactly, under `requiredClaims`. */
export type RequiredClaimValue = string | number | boolean

/**
 * One issuer a verifier accepts tokens from. Unset fields take the verifier's
 * top-level option of the same name, or its default. Presets (`auth0()`,
 * `entra()`, …) return one of these: spread it and override any field.
 *
 * @example
 * const partner: IssuerProfile = {
 *   issuer: 'https://partner.eu.auth0.com/',
 *   audience: 'https://orders.example.com',
 *   scopeClaims: ['scope', 'permissions'],
 * }
 * createVerifier({ issuers: [partner, { ...auth0({ domain, audience }), clients: ['billing'] }] })
 */
export interface IssuerProfile extends IssuerSettings {
  /**
   * Expected `iss`, compared exactly (mind trailing slashes); a list accepts
   * any of them. A `{tenantid}` placeholder (Microsoft Entra multi-tenant)
   * accepts any tenant GUID there, or only those in `tenants`.
   */
  issuer: string | readonly string[]
}

/**
 * What an issuer profile sets besides its `issuer`; at the top level of the
 * verifier options, the same fields are every profile's defaults. Defaults
 * below are used where neither sets a field.
 *
 * @example
 * const cognitoLike: IssuerSettings = { audience: null, clients: ['4p0…'], requiredClaims: { token_use: 'access' } }
 */
export interface IssuerSettings {
  /**
   * `aud` must contain one of these. `null` skips the check, and is accepted
   * only with `clients` or `requiredClaims` to stand in for it (AWS Cognito
   * access tokens carry no `aud`). Falls back to the top-level `audience`.
   */
  audience?: string | readonly string[] | null | undefined
  /** With a `{tenantid}` issuer: the tenant ids accepted. Default: any tenant. */
  tenants?: readonly string[] | undefined
  /** Where this issuer's keys are. Default: discovered from its metadata. */
  jwksUri?: string | URL | undefined
  /** A local key set instead of a remote one. */
  jwks?: JSONWebKeySet | undefined
  /** Accepted `alg` values. Default: every asymmetric algorithm. `none` and HS* are refused. */
  algorithms?: readonly AsymmetricAlgorithm[] | undefined
  /** Seconds of clock skew allowed for `exp`, `nbf`, `iat`. Default 5. */
  clockTolerance?: number | undefined
  /** Reject tokens whose `iat` is older than this many seconds. Default off. */
  maxTokenAge?: number | undefined
  /** Demand the RFC 9068 `typ: at+jwt` header. Default false. */
  requireTyp?: boolean | undefined
  /** Claims that name the client, in order; the first present one counts. Default `['client_id', 'azp']`. */
  clientIdClaims?: readonly string[] | undefined
  /**
   * Claims whose values are granted scopes, each a space-delimited string or
   * an array of strings; the union is granted. Default `['scope', 'scp']`.
   */
  scopeClaims?: readonly string[] | undefined
  /** Exact values some claims must have, e.g. `{ token_use: 'access' }`. */
  requiredClaims?: Readonly<Record<string, RequiredClaimValue>> | undefined
  /** Client ids every token of this issuer must name (403 `client_not_allowed` otherwise). */
  clients?: readonly string[] | undefined
  /**
   * Protected header parameters that refuse a token when present, each with
   * the `error_description` sent back (401 `invalid_token`, reason
   * `audience_mismatch`). The `entra()` preset refuses `nonce`: such tokens
   * are Microsoft Graph's, not this API's.
   */
  refuseHeaders?: Readonly<Record<string, string>> | undefined
}

/** A profile after validation, with every default filled in. */
export interface ProfileConfig {
  /** Position in `issuers` (0 for top-level options). */
  readonly index: number
  /** How messages name the profile: `issuers[1] ("https://…")`; undefined for top-level options. */
  readonly where: string | undefined
  /** The first configured issuer, as written (a template stays a template): safe for logs and metrics. */
  readonly id: string
  /** Exact issuers. */
  readonly issuers: readonly string[]
  /** `{tenantid}` issuers. */
  readonly templates: readonly IssuerTemplate[]
  readonly tenants: ReadonlySet<string> | undefined
  /** `null`: no `aud` check. */
  readonly audiences: readonly string[] | null
  readonly jwksUri: URL | undefined
  readonly jwks: JSONWebKeySet | undefined
  readonly algorithms: readonly AsymmetricAlgorithm[]
  readonly allowedAlgorithms: ReadonlySet<string>
  readonly clockTolerance: number
  readonly maxTokenAge: number | undefined
  readonly requireTyp: boolean
  readonly clientIdClaims: readonly string[]
  readonly scopeClaims: readonly string[]
  readonly requiredClaims: readonly (readonly [string, RequiredClaimValue])[]
  readonly clients: readonly string[] | undefined
  readonly refuseHeaders: readonly (readonly [string, string])[]
}

/** A profile with its own key set: the keys of one issuer never verify another's tokens. */
export interface ResolvedProfile extends ProfileConfig {
  readonly keys: KeySource
}
