/**
 * What every adapter's `createGuard` accepts: a ready Verifier, or options
 * that are verifier options or `{ verifier }`, plus `onError`. Parsed here
 * once for all adapters, so that they stay translations.
 */
import type { VerifierOptions } from '../options.js'
import { type Requirement, validateRequirement } from '../policy/requirement.js'
import { createVerifier, type Verifier } from '../verifier.js'

/**
 * Returns the guard's verifier and error mode (the first of `modes` by
 * default), or throws a TypeError naming the bad option.
 *
 * @example
 * const { verifier, onError } = resolveGuardOptions({ issuer, audience, onError: 'next' }, ['respond', 'next'])
 */
export function resolveGuardOptions<Mode extends string>(
  options: unknown,
  modes: readonly [Mode, ...Mode[]],
): { verifier: Verifier; onError: Mode } {
  if (isVerifier(options)) return { verifier: options, onError: modes[0] }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createGuard needs verifier options ({ issuer, audience }) or a Verifier')
  }
  const { verifier, onError = modes[0], ...verifierOptions } = options as Record<string, unknown>
  if (!modes.includes(onError as Mode)) {
    throw new TypeError(`"onError" option must be ${modes.map((mode) => `"${mode}"`).join(' or ')}`)
  }
  if (verifier === undefined) {
    return {
      verifier: createVerifier(verifierOptions as unknown as VerifierOptions),
      onError: onError as Mode,
    }
  }
  if (!isVerifier(verifier)) throw new TypeError('"verifier" option must be a Verifier from createVerifier()')
  const extra = Object.keys(verifierOptions)
  if (extra.length > 0) {
    throw new TypeError(`"verifier" option excludes verifier options (got ${extra.join(', ')})`)
  }
  return { verifier, onError: onError as Mode }
}

/**
 * True for a Verifier from `createVerifier()`.
 *
 * @example
 * isVerifier(createVerifier({ issuer, audience })) // true
 */
export function isVerifier(value: unknown): value is Verifier {
  const candidate = value as Partial<Verifier> | null
  return typeof candidate?.authorize === 'function' && typeof candidate.owns === 'function'
}

/**
 * Validates a route's requirement when the route is declared (at start-up),
 * against the verifier when it can (issuers it accepts; scopes it will list in
 * its RFC 9728 metadata). Throws a TypeError naming the bad field.
 *
 * @example
 * require(requirement) { declareRequirement(verifier, requirement); return middleware }
 */
export function declareRequirement(verifier: Verifier, requirement: Requirement | undefined): void {
  // A verifier from another copy of core may predate declare(): validate the shape at least.
  if (typeof (verifier as Partial<Verifier>).declare === 'function') verifier.declare(requirement)
  else validateRequirement(requirement)
}
