/**
 * The settings that apply to this token, read from the options the way core
 * reads them: the top level, or (with `issuers: [...]`) the profile whose
 * issuer names the token's `iss`, over the top-level values. Only for
 * describing checks; the verdict is always core's.
 */
import { ASYMMETRIC_ALGORITHMS, type VerifierOptions } from '@m2m-guard/core'

/** The effective settings for one token. */
export interface EffectiveProfile {
  issuers: string[]
  /** `null`: the profile skips the `aud` check. */
  audiences: string[] | null
  algorithms: string[]
  clockTolerance: number
  maxTokenAge: number | undefined
  requireTyp: boolean
  clientIdClaims: string[]
  scopeClaims: string[]
  /** Clients every token of this profile must come from, if the profile says. */
  clients: string[] | undefined
  /** Exact claim values the profile demands (`requiredClaims`). */
  requiredClaims: [string, unknown][]
  /** Header parameters the profile refuses (`refuseHeaders`). */
  refuseHeaders: string[]
  /** The keys are a local set (`jwks`): nothing is fetched. */
  localKeys: boolean
  jwksUri: string | undefined
  /** Which profile (1-based) of `issuers` matched, if several. */
  profileNumber: number | undefined
}

type Loose = Record<string, unknown>

const list = (value: unknown): string[] | undefined =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : undefined

// `{tenantid}` in a templated issuer stands for one path segment.
function issuerMatches(configured: string, iss: unknown): boolean {
  if (typeof iss !== 'string') return false
  if (!configured.includes('{')) return configured === iss
  const pattern = configured.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[a-z]+\\?\}/gi, '[^/]+')
  return new RegExp(`^${pattern}$`).test(iss)
}

/**
 * The settings for a token whose (unverified) issuer is `iss`.
 *
 * @example
 * effectiveProfile({ issuer: 'https://idp.example', audience: 'api' }, 'https://idp.example').audiences // ['api']
 */
export function effectiveProfile(options: VerifierOptions, iss: unknown): EffectiveProfile {
  const top = options as unknown as Loose
  const profiles = Array.isArray(top.issuers) ? (top.issuers as Loose[]) : undefined
  const index = profiles?.findIndex((profile) =>
    (list(profile?.issuer) ?? []).some((configured) => issuerMatches(configured, iss)),
  )
  const profile: Loose =
    profiles !== undefined && index !== undefined && index >= 0 ? (profiles[index] ?? {}) : {}
  const pick = (name: string) => (name in profile ? profile[name] : top[name])
  const issuers =
    profiles === undefined ? (list(top.issuer) ?? []) : profiles.flatMap((each) => list(each?.issuer) ?? [])
  const audience = pick('audience')
  const jwksUri = pick('jwksUri')
  return {
    issuers,
    audiences: audience === null ? null : (list(audience) ?? []),
    algorithms: list(pick('algorithms')) ?? [...ASYMMETRIC_ALGORITHMS],
    clockTolerance: typeof pick('clockTolerance') === 'number' ? (pick('clockTolerance') as number) : 5,
    maxTokenAge: typeof pick('maxTokenAge') === 'number' ? (pick('maxTokenAge') as number) : undefined,
    requireTyp: pick('requireTyp') === true,
    clientIdClaims: list(pick('clientIdClaims')) ?? ['client_id', 'azp'],
    scopeClaims: list(pick('scopeClaims')) ?? ['scope', 'scp'],
    clients: list(pick('clients')),
    requiredClaims: requiredClaimsOf(pick('requiredClaims')),
    refuseHeaders: requiredClaimsOf(pick('refuseHeaders')).map(([name]) => name),
    localKeys: pick('jwks') !== undefined,
    jwksUri: jwksUri === undefined ? undefined : String(jwksUri),
    profileNumber: profiles !== undefined && index !== undefined && index >= 0 ? index + 1 : undefined,
  }
}

/**
 * True if the configured issuer (one of `issuers`) names `iss`, templates included.
 *
 * @example
 * anyIssuerMatches(['https://login.example/{tenantid}/v2.0'], 'https://login.example/72f9/v2.0') // true
 */
export function anyIssuerMatches(issuers: readonly string[], iss: unknown): boolean {
  return issuers.some((configured) => issuerMatches(configured, iss))
}

function requiredClaimsOf(value: unknown): [string, unknown][] {
  return typeof value === 'object' && value !== null ? Object.entries(value) : []
}
