/**
 * Turns `issuer`/`audience` (one profile) or `issuers: [...]` (several) into
 * validated profiles. A profile's unset fields take the top-level option of
 * the same name, or its default. Every TypeError names the profile (its
 * index and first issuer) and the field.
 */
import type { JSONWebKeySet } from 'jose'
import { checkUrlPolicy } from '../keys/url-policy.js'
import { ASYMMETRIC_ALGORITHMS } from '../options.js'
import {
  algorithms,
  nonNegative,
  optionalBoolean,
  optionalStringList,
  parseUrl,
  plainObject,
  positive,
  stringList,
} from '../validate-fields.js'
import { type IssuerTemplate, isGuid, isTemplate, parseTemplate, withTenant } from './issuer-template.js'
import type { ProfileConfig, RequiredClaimValue } from './profile.js'

/** Fields a profile may set; each may also be given at the top level, as every profile's default. */
export const PROFILE_FIELDS = [
  'issuer',
  'audience',
  'tenants',
  'jwksUri',
  'jwks',
  'algorithms',
  'clockTolerance',
  'maxTokenAge',
  'requireTyp',
  'clientIdClaims',
  'scopeClaims',
  'requiredClaims',
  'clients',
  'refuseHeaders',
] as const

const KNOWN_FIELDS = new Set<string>(PROFILE_FIELDS)
// A sample tenant, to check that a templated issuer is a URL once filled in.
const SAMPLE_TENANT = '00000000-0000-0000-0000-000000000000'

/** How a field is named in messages: `"audience" option` at the top level, else after the profile. */
type Labeller = (field: string) => string

/** The validated profiles of `options`. */
export function resolveProfiles(
  options: Record<string, unknown>,
  allowInsecureHttp: boolean,
): ProfileConfig[] {
  const { issuers } = options
  if (issuers === undefined) {
    return [resolveProfile(options, 0, undefined, allowInsecureHttp)]
  }
  if (options.issuer !== undefined) {
    throw new TypeError('options "issuer" and "issuers" exclude each other: give each issuer in its profile')
  }
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw new TypeError('"issuers" option must be a non-empty array of issuer profiles')
  }
  const profiles = issuers.map((entry: unknown, index) => {
    const name = profileName(entry, index)
    const profile = plainObject(name, entry, '{ issuer, audience }')
    for (const field of Object.keys(profile)) {
      if (!KNOWN_FIELDS.has(field)) throw new TypeError(`${name} has unknown field "${field}"`)
    }
    return resolveProfile(withDefaults(profile, options), index, name, allowInsecureHttp)
  })
  refuseOverlaps(profiles)
  return profiles
}

/** `issuers[1] ("https://…")`, or just `issuers[1]` when its issuer is unusable. */
function profileName(entry: unknown, index: number): string {
  const issuer = (entry as { issuer?: unknown } | null)?.issuer
  const first = Array.isArray(issuer) ? issuer[0] : issuer
  return typeof first === 'string' ? `issuers[${index}] (${JSON.stringify(first)})` : `issuers[${index}]`
}

/** The profile's own fields (undefined is unset) over the top-level ones; `jwksUri` and `jwks` count as one. */
function withDefaults(
  profile: Record<string, unknown>,
  top: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {}
  for (const field of PROFILE_FIELDS) {
    merged[field] = profile[field] !== undefined ? profile[field] : top[field]
  }
  if (profile.jwksUri !== undefined || profile.jwks !== undefined) {
    merged.jwksUri = profile.jwksUri
    merged.jwks = profile.jwks
  }
  return merged
}

function resolveProfile(
  options: Record<string, unknown>,
  index: number,
  where: string | undefined,
  allowInsecureHttp: boolean,
): ProfileConfig {
  const label: Labeller = (field) => (where === undefined ? `"${field}" option` : `${where}: "${field}"`)
  const configured = stringList(label('issuer'), options.issuer)
  const issuers: string[] = []
  const templates: IssuerTemplate[] = []
  for (const issuer of configured) {
    if (!isTemplate(issuer)) {
      issuers.push(issuer)
      continue
    }
    const template = parseTemplate(issuer)
    if (typeof template === 'string')
      throw new TypeError(`${label('issuer')} ${JSON.stringify(issuer)} ${template}`)
    parseUrl(label('issuer'), withTenant(issuer, SAMPLE_TENANT))
    templates.push(template)
  }
  const tenants = optionalStringList(label('tenants'), options.tenants)
  if (tenants !== undefined) {
    if (templates.length === 0) {
      throw new TypeError(`${label('tenants')} applies only to an issuer with a {tenantid} placeholder`)
    }
    const bad = tenants.find((tenant) => !isGuid(tenant))
    if (bad !== undefined)
      throw new TypeError(`${label('tenants')} entry ${JSON.stringify(bad)} is not a tenant id (a GUID)`)
  }
  const clients = optionalStringList(label('clients'), options.clients)
  const requiredClaims = requiredClaimList(label('requiredClaims'), options.requiredClaims)
  const keys = keySource(options, issuers, templates, label, allowInsecureHttp)
  const accepted = algorithms(label('algorithms'), options.algorithms) ?? [...ASYMMETRIC_ALGORITHMS]
  return {
    index,
    where,
    id: configured[0] as string,
    issuers,
    templates,
    tenants: tenants === undefined ? undefined : new Set(tenants.map((tenant) => tenant.toLowerCase())),
    audiences: audiences(label('audience'), options.audience, clients, requiredClaims),
    ...keys,
    algorithms: accepted,
    allowedAlgorithms: new Set<string>(accepted),
    clockTolerance: nonNegative(label('clockTolerance'), options.clockTolerance) ?? 5,
    maxTokenAge: positive(label('maxTokenAge'), options.maxTokenAge),
    requireTyp: optionalBoolean(label('requireTyp'), options.requireTyp) ?? false,
    clientIdClaims: optionalStringList(label('clientIdClaims'), options.clientIdClaims) ?? [
      'client_id',
      'azp',
    ],
    scopeClaims: optionalStringList(label('scopeClaims'), options.scopeClaims) ?? ['scope', 'scp'],
    requiredClaims,
    clients,
    refuseHeaders: refuseHeaderList(label('refuseHeaders'), options.refuseHeaders),
  }
}

function audiences(
  label: string,
  value: unknown,
  clients: readonly string[] | undefined,
  requiredClaims: readonly unknown[],
): string[] | null {
  if (value === undefined) {
    throw new TypeError(`${label} is required: a string, a list, or null with "clients" or "requiredClaims"`)
  }
  if (value !== null) return stringList(label, value)
  if (clients === undefined && requiredClaims.length === 0) {
    throw new TypeError(
      `${label} is null, which skips the "aud" check: allowed only with "clients" or "requiredClaims" to stand in for it`,
    )
  }
  return null
}

function keySource(
  options: Record<string, unknown>,
  issuers: readonly string[],
  templates: readonly IssuerTemplate[],
  label: Labeller,
  allowInsecureHttp: boolean,
): { jwksUri: URL | undefined; jwks: JSONWebKeySet | undefined } {
  const { jwksUri, jwks } = options
  if (jwksUri !== undefined && jwks !== undefined) {
    throw new TypeError(`${label('jwksUri')} and ${label('jwks')} exclude each other: give one`)
  }
  if (jwksUri !== undefined) {
    const url = parseUrl(label('jwksUri'), jwksUri)
    checkUrlPolicy(label('jwksUri'), url, allowInsecureHttp)
    return { jwksUri: url, jwks: undefined }
  }
  if (jwks !== undefined) {
    if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
      throw new TypeError(`${label('jwks')} must be a JSON Web Key Set: { keys: [...] }`)
    }
    return { jwksUri: undefined, jwks: jwks as JSONWebKeySet }
  }
  if (templates.length > 0) {
    throw new TypeError(
      `${label('issuer')} with a {tenantid} placeholder cannot be discovered: give "jwksUri" or "jwks"`,
    )
  }
  if (issuers.length !== 1) {
    throw new TypeError(
      'with several issuers, give "jwksUri" or "jwks": keys are discovered for one issuer only',
    )
  }
  checkUrlPolicy(
    `${label('issuer')} (used for discovery)`,
    parseUrl(label('issuer'), issuers[0]),
    allowInsecureHttp,
  )
  return { jwksUri: undefined, jwks: undefined }
}

function requiredClaimList(label: string, value: unknown): [string, RequiredClaimValue][] {
  if (value === undefined) return []
  const entries = Object.entries(plainObject(label, value, "{ token_use: 'access' }"))
  if (entries.length === 0) throw new TypeError(`${label} must name at least one claim`)
  for (const [claim, expected] of entries) {
    const ok =
      typeof expected === 'string' ||
      typeof expected === 'boolean' ||
      (typeof expected === 'number' && Number.isFinite(expected))
    if (claim === '' || !ok) {
      throw new TypeError(
        `${label} entry ${JSON.stringify(claim)} must be a string, a finite number or a boolean`,
      )
    }
  }
  return entries as [string, RequiredClaimValue][]
}

function refuseHeaderList(label: string, value: unknown): [string, string][] {
  if (value === undefined) return []
  const entries = Object.entries(plainObject(label, value, "{ nonce: 'why the token is refused' }"))
  for (const [name, description] of entries) {
    if (name === '' || typeof description !== 'string' || description === '') {
      throw new TypeError(`${label} entry ${JSON.stringify(name)} must be a non-empty description string`)
    }
  }
  return entries as [string, string][]
}

/** Two profiles may not claim the same issuer: which one's keys and audience would apply? */
function refuseOverlaps(profiles: readonly ProfileConfig[]): void {
  const owner = new Map<string, number>()
  for (const profile of profiles) {
    for (const issuer of [...profile.issuers, ...profile.templates.map(({ template }) => template)]) {
      const other = owner.get(issuer)
      if (other !== undefined && other !== profile.index) {
        throw new TypeError(
          `issuers[${profile.index}] (${JSON.stringify(profile.id)}): "issuer" ${JSON.stringify(issuer)} is also in issuers[${other}]: each issuer belongs to one profile`,
        )
      }
      owner.set(issuer, profile.index)
    }
  }
}
