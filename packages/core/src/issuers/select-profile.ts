/**
 * Picks the issuer profile for a token from its unverified `iss`, before any
 * key lookup: a token naming an issuer nobody configured costs a Map lookup,
 * never a fetch, and leaves nothing behind (no cache entry, no key set).
 */
import { InvalidTokenError } from '../errors.js'
import { tenantOf } from './issuer-template.js'
import type { ResolvedProfile } from './profile.js'

/** The profile a token's `iss` selected, and the tenant it names through a `{tenantid}` issuer. */
export interface ProfileMatch {
  readonly profile: ResolvedProfile
  readonly tenant: string | undefined
}

/** Every configured issuer, indexed for the lookup each new token makes. */
export class IssuerIndex {
  readonly #exact = new Map<string, ProfileMatch>()
  readonly #templated: ResolvedProfile[]
  readonly #realm: string | undefined

  constructor(profiles: readonly ResolvedProfile[], realm: string | undefined) {
    this.#realm = realm
    for (const profile of profiles) {
      for (const issuer of profile.issuers) this.#exact.set(issuer, { profile, tenant: undefined })
    }
    this.#templated = profiles.filter((profile) => profile.templates.length > 0)
  }

  /** The profile for `iss`; throws a 401 `InvalidTokenError` if none accepts it. */
  select(iss: unknown): ProfileMatch {
    if (typeof iss === 'string') {
      const exact = this.#exact.get(iss)
      if (exact !== undefined) return exact
      return this.#fromTemplate(iss)
    }
    if (iss === undefined) throw this.#refuse('missing_claim', "token has no 'iss' claim")
    throw this.#refuse('invalid_claim', "'iss' claim must be a string")
  }

  #fromTemplate(iss: string): ProfileMatch {
    let otherTenant = false
    for (const profile of this.#templated) {
      for (const template of profile.templates) {
        const tenant = tenantOf(template, iss)
        if (tenant === undefined) continue
        if (profile.tenants === undefined || profile.tenants.has(tenant.toLowerCase()))
          return { profile, tenant }
        otherTenant = true
      }
    }
    if (otherTenant) throw this.#refuse('issuer_unknown', "token issuer's tenant is not accepted")
    throw this.#unknown(iss)
  }

  #unknown(iss: string): InvalidTokenError {
    const bare = withoutTrailingSlashes(iss)
    const slashOnly = [...this.#exact.keys()].some((issuer) => withoutTrailingSlashes(issuer) === bare)
    if (!slashOnly) return this.#refuse('issuer_unknown', 'token issuer is not accepted')
    return new InvalidTokenError({
      reason: 'issuer_unknown',
      description: 'token issuer is not accepted (it differs from an accepted one only by a trailing slash)',
      message:
        `token issuer ${JSON.stringify(iss.length > bare.length + 8 ? `${bare}/…/` : iss)} differs from a configured issuer only by a trailing slash: ` +
        'issuers are compared exactly, so configure "issuer" exactly as the authorization server writes it',
      realm: this.#realm,
    })
  }

  #refuse(
    reason: 'issuer_unknown' | 'missing_claim' | 'invalid_claim',
    description: string,
  ): InvalidTokenError {
    return new InvalidTokenError({ reason, description, realm: this.#realm })
  }
}

/**
 * `value` without its trailing `/`s. A loop, not `/\/+$/`: on an unverified
 * `iss` of many slashes followed by another character that regex backtracks
 * quadratically (56 ms for 11,500 slashes, inside the token length limit).
 */
function withoutTrailingSlashes(value: string): string {
  let end = value.length
  while (end > 0 && value.charCodeAt(end - 1) === 0x2f /* / */) end--
  return end === value.length ? value : value.slice(0, end)
}
