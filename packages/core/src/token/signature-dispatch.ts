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
// performance.now() (ms) when one began while another was under way, when the
// last one ended, and when a lone one last went to the thread pool.
let lastOverlap = Number.NEGATIVE_INFINITY
let lastEnd = Number.NEGATIVE_INFINITY
let lastProbe = Number.NEGATIVE_INFINITY

/**
 * Verifications overlap when one begins while another is under way: then
 * checks go off the thread, and stay off for OVERLAP_WINDOW_MS after the last
 * overlap seen, so that a burst does not flip back and forth. But a server
 * checking every signature on its thread never sees an overlap, however many
 * requests wait: each verification ends before the next begins. So when they
 * come back to back (the last ended within BACK_TO_BACK_MS), one check in a
 * while (PROBE_INTERVAL_MS) goes to the thread pool anyway: if another
 * verification begins while it is out, requests are waiting. A caller that
 * really waits for each answer pays one round trip (tens of µs) per probe
 * interval; a lone request, none.
 */
const OVERLAP_WINDOW_MS = 5
const BACK_TO_BACK_MS = 1
const PROBE_INTERVAL_MS = 50

/** Whether this check goes off the thread. */
function overlapping(): boolean {
  if (underWay > 1) return true
  const now = performance.now()
  if (now - lastOverlap < OVERLAP_WINDOW_MS) return true
  if (now - lastEnd > BACK_TO_BACK_MS || now - lastProbe < PROBE_INTERVAL_MS) return false
  lastProbe = now
  return true
}

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
      if (underWay > 0) lastOverlap = performance.now()
      underWay++
    },
    end: () => {
      underWay--
      lastEnd = performance.now()
    },
    check:
      offThread === undefined
        ? verifySignature
        : (jws, key, alg) =>
            always || overlapping() ? offThread(jws, key, alg) : verifySignature(jws, key, alg),
  }
}
