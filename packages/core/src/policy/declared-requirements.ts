/**
 * The requirements routes declare and check: each validated once (a
 * malformed one is a programming error, a TypeError), and the scopes they
 * name collected for RFC 9728's `scopes_supported`.
 */
import { type Requirement, validateRequirement } from './requirement.js'

// Requirements come from code, but a program that builds them from input must not grow this without bound.
const MAX_DECLARED_SCOPES = 1000

/**
 * The requirements one verifier has seen. Validation is remembered per
 * object, so a route that passes the same requirement on every request
 * pays for it once.
 *
 * @example
 * const requirements = new DeclaredRequirements(new Set(['https://auth.example.com']))
 * requirements.declare({ scopes: ['orders:read'] })
 * requirements.scopes // Set { 'orders:read' }
 */
export class DeclaredRequirements {
  /** Scopes named by declared requirements: RFC 9728's scopes_supported, unless configured. */
  readonly scopes = new Set<string>()
  readonly #acceptedIssuers: ReadonlySet<string>
  readonly #validated = new WeakSet<Requirement>()
  #lastValidated: Requirement | undefined

  /** `acceptedIssuers`: the issuers (and issuer templates) a requirement may name. */
  constructor(acceptedIssuers: ReadonlySet<string>) {
    this.#acceptedIssuers = acceptedIssuers
  }

  /** A route declares `requirement`: validated now, and its scopes listed in the metadata. */
  declare(requirement: Requirement | undefined): void {
    this.validate(requirement)
    if (requirement === undefined || this.scopes.size >= MAX_DECLARED_SCOPES) return
    for (const scope of [...(requirement.scopes ?? []), ...(requirement.anyScopes ?? [])])
      this.scopes.add(scope)
  }

  /** Throws a TypeError unless `requirement` is well-formed and names only issuers accepted here. */
  validate(requirement: Requirement | undefined): void {
    if (requirement === undefined || requirement === this.#lastValidated || this.#validated.has(requirement))
      return
    validateRequirement(requirement)
    for (const issuer of requirement.issuers ?? []) {
      if (!this.#acceptedIssuers.has(issuer)) {
        throw new TypeError(
          `requirement "issuers" entry ${JSON.stringify(issuer)} is not an issuer this verifier accepts`,
        )
      }
    }
    this.#validated.add(requirement)
  }

  /** {@link validate}, for a requirement about to be checked against a request. */
  validateChecked(requirement: Requirement): void {
    // A route passes the same requirement object on every request: remember the last one checked.
    this.validate(requirement)
    this.#lastValidated = requirement
  }
}
