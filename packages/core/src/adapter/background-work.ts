/**
 * Cloudflare Workers (workerd) cancel what a request leaves running once its
 * response is sent, unless it is handed to the ExecutionContext's
 * `waitUntil`: a key refresh the request started in the background would
 * never complete, and keys the issuer removed would keep passing until
 * `staleIfError` runs out. Adapters hand the verifier's background work over
 * as each request ends.
 */
import type { Verifier } from '../types.js'

/**
 * Hands `verifier.backgroundWork()`, if there is any, to the `waitUntil` of
 * the context `contextOf(holder)` returns (read only when there is work:
 * Hono's `c.executionCtx` throws off Workers). Does nothing when the context
 * has no `waitUntil` function; never throws, whatever the context is.
 *
 * @example
 * // fetch(request, env, ctx): the Worker's ExecutionContext is the second argument after the request
 * handOffBackgroundWork(verifier, rest, (args) => args[1])
 * // Hono
 * handOffBackgroundWork(verifier, c, (context) => context.executionCtx)
 */
export function handOffBackgroundWork<Holder>(
  verifier: Verifier,
  holder: Holder,
  contextOf: (holder: Holder) => unknown,
): void {
  try {
    // A verifier from an older copy of core has no backgroundWork().
    if (typeof verifier.backgroundWork !== 'function') return
    const work = verifier.backgroundWork()
    if (work === undefined) return
    const context = contextOf(holder) as { waitUntil?: unknown } | null | undefined
    const waitUntil = context?.waitUntil
    if (typeof waitUntil === 'function') Reflect.apply(waitUntil, context, [work])
  } catch {
    // A context that is not a Worker's, or a hostile one: the answer goes out unchanged.
  }
}
