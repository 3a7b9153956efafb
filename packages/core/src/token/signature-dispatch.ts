/**
 * Where a new token's signature is checked. Alone, on this thread: a round
 * trip to libuv's thread pool costs more than an RS256 check, so one request
 * at a time loses nothing. When other new tokens are being verified at the
 * same time, off this thread (node:crypto's asynchronous `verify`), so the
 * machine's other cores check signatures while this thread parses, checks
 * claims and serves the cached tokens of other requests. The bench rows that
 * earn this: bench/RESULTS.md, "distinct tokens", m2m-guard at 16 in flight
 * against "floor: node:crypto verify (KeyObject)", and the event-loop table.
 */
import * as runtimeSignatures from '#signature'
import type { CompactJws } from './compact-jws.js'
import type { SignatureKey, SignaturePath } from './signature-path.js'

// node:crypto or WebCrypto, as the package's `imports` conditions chose for this runtime.
const { verifySignature, verifySignatureOffThread }: SignaturePath = runtimeSignatures

/**
 * Test hook, not an option: a vitest project sets `globalThis[OFF_THREAD_ALWAYS] = true`
 * so that the differential test and the scenario table run with every
 * signature checked off the thread. Read once, when a verifier is created.
 */
const OFF_THREAD_ALWAYS = Symbol.for('m2m-guard.test.signaturesOffThread')

// New-token verifications under way in this process (every verifier shares the cores).
let underWay = 0

/** Checks signatures for one verifier; `begin` and `end` bracket each new-token verification. */
export interface SignatureDispatch {
  begin(): void
  end(): void
  /** The verdict: at once on this thread, or a promise from the thread pool. */
  check(jws: CompactJws, key: SignatureKey, alg: string): boolean | Promise<boolean>
}

/** The dispatch for a verifier being created now. */
export function signatureDispatch(): SignatureDispatch {
  const always = (globalThis as Record<symbol, unknown>)[OFF_THREAD_ALWAYS] === true
  const offThread = verifySignatureOffThread
  return {
    begin: () => {
      underWay++
    },
    end: () => {
      underWay--
    },
    check:
      offThread === undefined
        ? verifySignature
        : (jws, key, alg) =>
            always || underWay > 1 ? offThread(jws, key, alg) : verifySignature(jws, key, alg),
  }
}
