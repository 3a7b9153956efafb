/**
 * What each check sees in this token, judged locally and only to describe
 * it ("exp in 4 min, tolerance 5 s"). Core's verdict decides; these words
 * explain it, and preview checks core did not reach.
 */
import { ASYMMETRIC_ALGORITHMS, type Requirement, type VerifierEvent } from '@m2m-guard/core'
import type { JWTPayload, ProtectedHeaderParameters } from 'jose'
import { printable, quoted } from '../printable.js'
import { formatSkew, isoDate, relativeTime } from '../time-format.js'
import { anyIssuerMatches, type EffectiveProfile } from './profile.js'

/** The checks, in the order they are printed. */
export const CHECK_IDS = [
  'shape',
  'header',
  'alg',
  'key',
  'signature',
  'claims',
  'iss',
  'aud',
  'exp',
  'nbf',
  'iat',
  'typ',
  'binding',
  'scopes',
  'client',
] as const

/** One of {@link CHECK_IDS}. */
export type CheckId = (typeof CHECK_IDS)[number]

/** A check as seen locally: `ok` undefined when only core can tell (keys, signature). */
export interface Observation {
  ok: boolean | undefined
  detail: string
}

/** Everything the observations read. */
export interface TokenContext {
  header: ProtectedHeaderParameters
  payload: JWTPayload
  profile: EffectiveProfile
  requirement: Requirement | undefined
  events: readonly VerifierEvent[]
  /** Epoch ms at verification. */
  now: number
  /** The issuer's clock minus ours, in seconds, from its responses' `Date`, if known. */
  issuerSkew: number | undefined
}

const seen = (ok: boolean | undefined, detail: string): Observation => ({ ok, detail })

/**
 * The scopes granted by the profile's scope claims (space-delimited strings or arrays).
 *
 * @example
 * grantedScopes({ scope: 'a b', scp: ['c'] }, ['scope', 'scp']) // ['a', 'b', 'c']
 */
export function grantedScopes(payload: JWTPayload, claims: readonly string[]): string[] {
  const scopes = new Set<string>()
  for (const claim of claims) {
    const value = payload[claim]
    const items = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : []
    for (const item of items) if (typeof item === 'string' && item !== '') scopes.add(item)
  }
  return [...scopes]
}

/**
 * The token's client id by the profile's client-id claims, and the claim it came from.
 *
 * @example
 * clientOf({ azp: 'billing' }, ['client_id', 'azp']) // { id: 'billing', claim: 'azp' }
 */
export function clientOf(
  payload: JWTPayload,
  claims: readonly string[],
): { id: unknown; claim: string } | undefined {
  for (const claim of claims) if (payload[claim] !== undefined) return { id: payload[claim], claim }
  return undefined
}

/**
 * The observation for check `id`.
 *
 * @example
 * observe('exp', context) // { ok: true, detail: '2026-12-01T09:25:00Z, expires in 4 min (tolerance 5 s)' }
 */
export function observe(id: CheckId, context: TokenContext): Observation {
  const { header, payload, profile, requirement, now } = context
  const tolerance = profile.clockTolerance
  const nowS = now / 1000
  const skew = skewNote(context.issuerSkew)
  switch (id) {
    case 'shape':
      return seen(true, 'a signed JWT (compact JWS, 3 parts)')
    case 'header':
      return seen(
        true,
        `alg ${printable(header.alg)}${header.kid === undefined ? ', no kid' : `, kid ${printable(header.kid)}`}${header.typ === undefined ? '' : `, typ ${printable(header.typ)}`}`,
      )
    case 'alg': {
      const ok = typeof header.alg === 'string' && profile.algorithms.includes(header.alg)
      const accepted =
        profile.algorithms.length === ASYMMETRIC_ALGORITHMS.length
          ? 'asymmetric only'
          : profile.algorithms.join(', ')
      return seen(ok, `${printable(header.alg)} ${ok ? 'is' : 'is not'} accepted (${accepted})`)
    }
    case 'key':
      return keyObservation(context.events, header)
    case 'signature':
      return seen(undefined, `${printable(header.alg)} with the key above`)
    case 'claims': {
      const wrong = profile.requiredClaims.filter(([claim, expected]) => payload[claim] !== expected)
      const demanded = profile.requiredClaims.map(([claim, expected]) => `${claim} = ${quoted(expected)}`)
      if (demanded.length === 0) return seen(true, 'registered claims have their registered types')
      if (wrong.length === 0) return seen(true, `requiredClaims met: ${demanded.join(', ')}`)
      const found = wrong.map(
        ([claim]) => `${claim} is ${payload[claim] === undefined ? 'missing' : quoted(payload[claim])}`,
      )
      return seen(false, `requiredClaims ${demanded.join(', ')}; ${found.join(', ')}`)
    }
    case 'iss': {
      if (payload.iss === undefined)
        return seen(false, `missing, configured ${profile.issuers.map((i) => quoted(i)).join(' or ')}`)
      const ok = anyIssuerMatches(profile.issuers, payload.iss)
      const where = profile.profileNumber === undefined ? '' : ` (profile ${profile.profileNumber})`
      return seen(
        ok,
        ok
          ? `${quoted(payload.iss)} is the configured issuer${where}`
          : `${quoted(payload.iss)}, configured ${profile.issuers.map((issuer) => quoted(issuer)).join(' or ')}`,
      )
    }
    case 'aud': {
      if (profile.audiences === null) return seen(true, 'not checked: the profile sets audience: null')
      const aud = payload.aud
      if (aud === undefined)
        return seen(false, `missing, configured ${profile.audiences.map((a) => quoted(a)).join(' or ')}`)
      const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
      const ok = profile.audiences.some((audience) => values.includes(audience))
      return seen(
        ok,
        `${quoted(aud)}${ok ? ' contains' : ', configured'} ${profile.audiences.map((a) => quoted(a)).join(' or ')}`,
      )
    }
    case 'exp': {
      if (payload.exp === undefined) return seen(false, 'missing (RFC 9068 requires exp)')
      const date = isoDate(payload.exp)
      if (date === undefined) return seen(false, `${printable(payload.exp)} is not a time`)
      const ok = payload.exp + tolerance > nowS
      return seen(
        ok,
        `${date}, ${ok ? 'expires' : 'expired'} ${relativeTime(payload.exp, now)} (tolerance ${tolerance} s${skew})`,
      )
    }
    case 'nbf': {
      if (payload.nbf === undefined) return seen(true, 'none')
      const date = isoDate(payload.nbf)
      if (date === undefined) return seen(false, `${printable(payload.nbf)} is not a time`)
      const ok = payload.nbf - tolerance <= nowS
      return seen(
        ok,
        `${date}, ${ok ? 'valid since' : 'not valid until'} ${relativeTime(payload.nbf, now)} (tolerance ${tolerance} s${skew})`,
      )
    }
    case 'iat':
      return iatObservation(payload, profile, now, context.issuerSkew)
    case 'typ': {
      const typ = header.typ
      if (!profile.requireTyp)
        return seen(true, `${typ === undefined ? 'none' : printable(typ)}; at+jwt not required`)
      const ok = typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ)
      return seen(ok, `${typ === undefined ? 'none' : quoted(typ)}, required at+jwt (requireTyp)`)
    }
    case 'scopes': {
      const granted = grantedScopes(payload, profile.scopeClaims)
      const required = requirement?.scopes ?? []
      const any = requirement?.anyScopes ?? []
      const missing = required.filter((scope) => !granted.includes(scope))
      const ok = missing.length === 0 && (any.length === 0 || any.some((scope) => granted.includes(scope)))
      const grantedText =
        granted.length === 0 ? 'none granted' : `granted ${granted.map(printable).join(' ')}`
      const wanted =
        required.length === 0 && any.length === 0
          ? 'none required (--scope)'
          : `required ${[...required, ...(any.length > 0 ? [`one of ${any.join(' ')}`] : [])].join(' ')}`
      return seen(
        ok,
        `${grantedText}; ${wanted}${missing.length > 0 ? `; missing ${missing.join(' ')}` : ''}`,
      )
    }
    case 'binding':
      // Described from the request (binding-line.ts); present only when one is presented.
      return seen(undefined, '')
    case 'client': {
      const client = clientOf(payload, profile.clientIdClaims)
      const allowed = [...(requirement?.clients ?? []), ...(profile.clients ?? [])]
      const name = client === undefined ? 'no client id' : `${printable(client.id)} (from ${client.claim})`
      if (allowed.length === 0) return seen(true, `${name}; any client allowed (--client)`)
      const ok = client !== undefined && allowed.includes(client.id as string)
      return seen(ok, `${name}; allowed ${allowed.map(printable).join(', ')}`)
    }
  }
}

function keyObservation(events: readonly VerifierEvent[], header: ProtectedHeaderParameters): Observation {
  const fetched = events.filter((event) => event.type === 'keys_fetched')
  const failed = events.filter((event) => event.type === 'keys_fetch_failed')
  const last = fetched.at(-1)
  const kid = header.kid === undefined ? 'no kid' : `kid ${printable(header.kid)}`
  if (last?.type === 'keys_fetched') {
    return seen(
      undefined,
      `${kid}; key set ${last.uri} (${last.keyCount} key${last.keyCount === 1 ? '' : 's'}, ${Math.round(last.durationMs)} ms)`,
    )
  }
  const failure = failed.at(-1)
  if (failure?.type === 'keys_fetch_failed')
    return seen(false, `${kid}; key set not fetched: ${printable(failure.error)}`)
  return seen(undefined, kid)
}

function iatObservation(
  payload: JWTPayload,
  profile: EffectiveProfile,
  now: number,
  issuerSkew: number | undefined,
): Observation {
  const tolerance = profile.clockTolerance
  if (payload.iat === undefined) {
    return seen(
      profile.maxTokenAge === undefined,
      profile.maxTokenAge === undefined ? 'none' : 'missing (maxTokenAge needs it)',
    )
  }
  const date = isoDate(payload.iat)
  if (date === undefined) return seen(false, `${printable(payload.iat)} is not a time`)
  const age = now / 1000 - payload.iat
  const future = age < -tolerance
  const tooOld = profile.maxTokenAge !== undefined && age > profile.maxTokenAge + tolerance
  const limit = profile.maxTokenAge === undefined ? '' : `, maxTokenAge ${profile.maxTokenAge} s`
  return seen(
    !future && !tooOld,
    `${date}, issued ${relativeTime(payload.iat, now)}${future ? ': in the future' : ''} (tolerance ${tolerance} s${limit}${skewNote(issuerSkew)})`,
  )
}

// Worth saying only beyond Date's one-second resolution.
function skewNote(skew: number | undefined): string {
  return skew === undefined || Math.abs(skew) <= 1 ? '' : `; issuer's clock ${formatSkew(skew)}`
}
