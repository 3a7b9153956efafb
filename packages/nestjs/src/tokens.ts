/** Injection tokens of the module. Strings, so that two copies of this package still agree. */

/**
 * The module's `Verifier`: inject it for readiness probes (`keyStatus()`),
 * `warmUp()`, or to verify tokens outside HTTP routes.
 *
 * @example
 * constructor(@Inject(M2M_GUARD_VERIFIER) private readonly verifier: Verifier) {}
 */
export const M2M_GUARD_VERIFIER = 'M2mGuardVerifier'
