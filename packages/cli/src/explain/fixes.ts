/**
 * The fix for a rejection, in the terms of the user's configuration: what to
 * change, and on which side (the issuer, the client, or this API).
 */
import type { AuthError } from '@m2m-guard/core'
import type { JWTPayload, ProtectedHeaderParameters } from 'jose'
import { printable, quoted } from '../printable.js'
import { formatSkew } from '../time-format.js'
import { grantedScopes } from './observations.js'
import type { EffectiveProfile } from './profile.js'

/** What a fix may refer to. */
export interface FixContext {
  error: AuthError
  header: ProtectedHeaderParameters | undefined
  payload: JWTPayload | undefined
  profile: EffectiveProfile
  /** Required scopes of the route (--scope). */
  scopes: readonly string[]
  /** Why local decoding failed, if it did. */
  shapeProblem?: string | undefined
  /** The issuer's clock minus ours, in seconds, if its responses said. */
  issuerSkew?: number | undefined
}

// Claims where providers put scopes when not in `scope`/`scp` (Auth0 RBAC, Entra app roles).
const OTHER_SCOPE_CLAIMS = ['permissions', 'roles', 'scp', 'scope', 'scopes']

/**
 * One sentence: what to change so that this token (or the next) passes.
 *
 * @example
 * fixFor({ error, header, payload, profile, scopes: [] })
 */
export function fixFor(context: FixContext): string {
  const { error, header, payload, profile } = context
  const strip = (value: string) => value.replace(/\/+$/, '')
  // As a string: reasons newer than this build of core (issuer profiles) are named too.
  switch (error.reason as string) {
    case 'token_too_large':
      return 'this is far larger than an access token; is it the right value? (maxTokenLength raises the bound)'
    case 'token_malformed':
      if (context.shapeProblem?.includes('"none"') === true) {
        return 'unsigned tokens (alg "none") are never accepted: the issuer must sign its access tokens'
      }
      if (context.shapeProblem?.includes('JWE') === true) {
        return 'encrypted access tokens are not supported: ask the issuer for signed (JWS) ones'
      }
      if (context.shapeProblem === undefined) {
        return 'the issuer sends a header core does not accept (an unknown "crit", "b64": false, a kid that is not a string): check the token issuer\'s settings'
      }
      return 'pass the access token itself: a JWT of three base64url parts (opaque tokens need introspection, RFC 7662)'
    case 'algorithm_not_allowed': {
      const alg = printable(header?.alg)
      if (typeof header?.alg === 'string' && /^(none|HS)/i.test(header.alg)) {
        return `${alg} is never accepted with public keys: the issuer must sign with an asymmetric key (RS256, ES256, EdDSA…)`
      }
      return `add ${alg} to the algorithms option, or make the issuer sign with one of ${profile.algorithms.join(', ')}`
    }
    case 'unknown_key':
      return header?.kid === undefined
        ? 'the token has no kid and no key in the set fits its alg: check that it comes from this issuer'
        : `no key with kid ${printable(header.kid)} in the issuer's key set: the token comes from another issuer or environment, or its key was removed`
    case 'keys_unavailable': {
      const iss = payload?.iss
      const near = profile.issuers.find(
        (issuer) => typeof iss === 'string' && issuer !== iss && strip(issuer) === strip(iss),
      )
      if (near !== undefined) {
        return `the issuer is configured as ${quoted(near)} but the token (and likely the metadata) say ${quoted(iss)}: configure it exactly as ${quoted(iss)}`
      }
      return `the keys could not be fetched: run m2m-guard doctor --issuer ${printable(profile.issuers[0] ?? '…')} to see why (answering 503 until then)`
    }
    case 'signature_invalid':
      return `the signature does not match the key published as kid ${printable(header?.kid)}: the token was altered, or signed by another environment's key under the same kid`
    case 'issuer_mismatch':
    case 'issuer_unknown': {
      const iss = payload?.iss
      const near = profile.issuers.find((issuer) => typeof iss === 'string' && strip(issuer) === strip(iss))
      if (near !== undefined) {
        return `configure the issuer exactly as the token writes it, ${quoted(iss)} (issuers are compared exactly; ${quoted(near)} differs by a trailing slash)`
      }
      return `the token is from ${quoted(iss)}: add that issuer if you trust it, or get the token from ${profile.issuers.map((i) => quoted(i)).join(' or ')}`
    }
    case 'issuer_not_allowed':
      return 'this route accepts other issuers only: call it with a token from one the route names'
    case 'audience_mismatch': {
      // A profile's refuseHeaders (the entra() preset and Graph tokens) words its own remedy.
      if (!error.description.startsWith('token is not meant for this audience'))
        return printable(error.description)
      const aud = payload?.aud
      const wanted = (profile.audiences ?? []).map((a) => quoted(a)).join(' or ')
      const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
      const near = values.find((value) =>
        (profile.audiences ?? []).some((a) => strip(a) === strip(String(value))),
      )
      if (near !== undefined) {
        return `the token's audience ${quoted(near)} differs from ${wanted} only by a trailing slash: make them equal`
      }
      return `the client must ask for audience ${wanted} (audience or resource parameter of its token request), or configure the audience this token is for`
    }
    case 'token_expired':
      return 'get a new token: clients should renew shortly before exp (if it was just issued, compare clocks with m2m-guard doctor)'
    case 'token_not_yet_valid':
      return `the token is not valid yet: the issuer's clock is probably ahead${measured(context.issuerSkew)}; synchronise clocks (NTP), m2m-guard doctor measures the skew`
    case 'token_issued_in_future':
      return `iat lies in the future: the issuer's clock is ahead of this machine's${measured(context.issuerSkew)}; synchronise clocks (NTP), m2m-guard doctor measures the skew`
    case 'token_too_old':
      return `the token is older than maxTokenAge (${profile.maxTokenAge ?? '?'} s): get a new one, or raise maxTokenAge`
    case 'typ_mismatch':
      return 'the issuer does not mark access tokens typ at+jwt (RFC 9068): configure it to, or drop requireTyp'
    case 'insufficient_scope':
      return scopeFix(context)
    case 'client_not_allowed':
      return 'this client is not on the route\'s allowlist: call with an allowed client, or add it to "clients"'
    case 'missing_claim':
      if (error.description.includes("'aud'")) {
        return 'the token has no aud: ask the issuer for one (an API audience or resource); an issuer that never sends aud (Cognito access tokens) needs audience: null in a profile, with clients or requiredClaims standing in'
      }
      return `the issuer must include the claim (${printable(error.description)}); configure it to`
    case 'invalid_claim': {
      const claim = /'([^']+)' claim must be (".*")$/.exec(error.description)
      if (claim !== null && profile.requiredClaims.some(([name]) => name === claim[1])) {
        return `the issuer profile requires ${claim[1]} = ${claim[2]}, and this token has ${quoted(payload?.[claim[1] as string])}: is it the right kind of token (an ID token rather than an access token)?`
      }
      return `a claim has the wrong type (${printable(error.description)}): the issuer must send registered claims with their registered types`
    }
    default:
      return printable(error.description)
  }
}

function scopeFix({ payload, profile, scopes }: FixContext): string {
  const elsewhere =
    payload === undefined
      ? undefined
      : OTHER_SCOPE_CLAIMS.find(
          (claim) =>
            !profile.scopeClaims.includes(claim) &&
            grantedScopes(payload, [claim]).some((scope) => scopes.includes(scope)),
        )
  if (elsewhere !== undefined) {
    return `the scopes are in the '${elsewhere}' claim, which is not read: add it to scopeClaims`
  }
  const missing =
    payload === undefined
      ? scopes
      : scopes.filter((s) => !grantedScopes(payload, profile.scopeClaims).includes(s))
  return `grant the client ${missing.join(' ')} at the issuer and request it (scope=${missing.join('%20')}); a new token with the same grant will not help`
}

function measured(skew: number | undefined): string {
  return skew === undefined || Math.abs(skew) <= 1 ? '' : ` (its Date header says ${formatSkew(skew)})`
}
