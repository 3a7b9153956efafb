/**
 * Setup file of the `core-off-thread` vitest project (vitest.config.ts): every
 * verifier created afterwards checks each new token's signature on libuv's
 * thread pool, not only when verifications overlap, so the differential test
 * and the scenario table hold that path to the same verdicts.
 */
;(globalThis as Record<symbol, unknown>)[Symbol.for('m2m-guard.test.signaturesOffThread')] = true
