/**
 * What a route demands of a verified token: scopes (all of), scopes (any
 * of), an allowlist of clients and one of issuers. Validated once when a
 * route declares it, checked on every request.
 */
import { isScopeToken } from '../challenge.js'
import { InsufficientScopeError } from '../errors.js'
import { isTemplate, parseTemplate, tenantOf } from '../issuers/issuer-template.js'
import type { AuthResult } from '../types.js'
import { clientNotAllowed } from './clients.js'

/**
 * A route's requirement. Every field is optional; all that are given must hold.
 *
 * @example
 * const requirement: Requirement = { scopes: ['orders:write'], clients: ['billing'] }
 */
export interface Requirement {
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[] | undefined
  /** At least one of these scopes must be granted. */
  anyScopes?: readonly string[] | undefined
  /** The token's client id must be one of these. */
  clients?: readonly string[] | undefined
  /**
   * The token's issuer must be one of these (with several issuers). A
   * `{tenantid}` entry accepts any tenant that the verifier accepts there.
   */
  issuers?: readonly string[] | undefined
}

const FIELDS = new Set(['scopes', 'anyScopes', 'clients', 'issuers'])

/**
 * Throws a TypeError naming the field if `requirement` is malformed: unknown
 * fields, non-string entries, scopes that are not RFC 6749 scope tokens, or
 * an empty `anyScopes` / `clients` list (which no token could ever satisfy).
 *
 * @example
 * validateRequirement({ scopes: ['orders read'] }) // TypeError: "scopes" entry "orders read" is not a valid scope token
 */
export function validateRequirement(requirement: unknown): asserts requirement is Requirement | undefined {
  if (requirement === undefined) return
  if (typeof requirement !== 'object' || requirement === null || Array.isArray(requirement)) {
    throw new TypeError('requirement must be an object like { scopes, anyScopes, clients, issuers }')
  }
  for (const field of Object.keys(requirement)) {
    if (!FIELDS.has(field)) throw new TypeError(`requirement has unknown field "${field}"`)
  }
  const { scopes, anyScopes, clients, issuers } = requirement as Record<string, unknown>
  validateList('scopes', scopes, true, true)
  validateList('anyScopes', anyScopes, false, true)
  validateList('clients', clients, false, false)
  validateList('issuers', issuers, false, false)
  for (const issuer of (issuers as string[] | undefined) ?? []) {
    const template = isTemplate(issuer) ? parseTemplate(issuer) : undefined
    if (typeof template === 'string') {
      throw new TypeError(`"issuers" entry ${JSON.stringify(issuer)} ${template}`)
    }
  }
}

function validateList(field: string, value: unknown, mayBeEmpty: boolean, scopeTokens: boolean): void {
  if (value === undefined) return
  if (!Array.isArray(value)) throw new TypeError(`"${field}" must be an array of strings`)
  if (!mayBeEmpty && value.length === 0) {
    throw new TypeError(`"${field}" must not be empty: no token could satisfy it`)
  }
  for (const entry of value) {
    if (typeof entry !== 'string' || entry === '') {
      throw new TypeError(`"${field}" must contain only non-empty strings`)
    }
    if (scopeTokens && !isScopeToken(entry)) {
      throw new TypeError(`"${field}" entry ${JSON.stringify(entry)} is not a valid scope token`)
    }
  }
}

/**
 * Throws an {@link InsufficientScopeError} (403) unless `auth` meets
 * `requirement`. The issuer allowlist is checked first, then the client
 * allowlist, then `scopes`, then `anyScopes`.
 *
 * @example
 * checkRequirement(auth, { anyScopes: ['orders:read', 'orders:admin'] }, undefined)
 */
export function checkRequirement(
  auth: AuthResult,
  requirement: Requirement,
  realm: string | undefined,
): void {
  const { scopes, anyScopes, clients, issuers } = requirement
  if (issuers !== undefined && !issuerAllowed(auth.issuer, issuers)) {
    throw new InsufficientScopeError({
      reason: 'issuer_not_allowed',
      description: 'tokens of this issuer are not accepted for this resource',
      realm,
    })
  }
  if (clients !== undefined && (auth.clientId === undefined || !clients.includes(auth.clientId))) {
    throw clientNotAllowed(auth.clientId, realm)
  }
  // Loops, not filter/some: on the cached path this runs on every request, and must not allocate.
  if (scopes !== undefined && !grantsAll(auth.scopes, scopes)) {
    const missing = scopes.filter((scope) => !auth.scopes.includes(scope))
    throw new InsufficientScopeError({
      reason: 'insufficient_scope',
      description: `missing required scope${missing.length > 1 ? 's' : ''}: ${missing.join(' ')}`,
      requiredScopes: scopes,
      realm,
    })
  }
  if (anyScopes !== undefined && !grantsAny(auth.scopes, anyScopes)) {
    throw new InsufficientScopeError({
      reason: 'insufficient_scope',
      description: `requires one of the scopes: ${anyScopes.join(' ')}`,
      requiredScopes: anyScopes,
      realm,
    })
  }
}

function grantsAll(granted: readonly string[], required: readonly string[]): boolean {
  for (let i = 0; i < required.length; i++) if (!granted.includes(required[i] as string)) return false
  return true
}

function grantsAny(granted: readonly string[], wanted: readonly string[]): boolean {
  for (let i = 0; i < wanted.length; i++) if (granted.includes(wanted[i] as string)) return true
  return false
}

function issuerAllowed(issuer: string, allowed: readonly string[]): boolean {
  for (let i = 0; i < allowed.length; i++) {
    const entry = allowed[i] as string
    if (entry === issuer) return true
    if (isTemplate(entry)) {
      const template = parseTemplate(entry)
      if (typeof template !== 'string' && tenantOf(template, issuer) !== undefined) return true
    }
  }
  return false
}
