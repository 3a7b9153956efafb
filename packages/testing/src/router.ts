import type { IncomingMessage, ServerResponse } from 'node:http'
import { answer } from './fault-responses.js'
import type { Endpoint, FaultBoard } from './faults.js'
import type { Endpoints } from './metadata.js'
import type { RequestCounters } from './request-counters.js'
import { jsonReply, type Reply, sendReply } from './respond.js'

/** What each endpoint answers when nothing is broken. */
export interface EndpointReplies {
  jwks(): Reply
  metadata(): Reply
  token(req: IncomingMessage): Promise<Reply>
}

/** Everything the router needs. */
export interface RouterContext {
  readonly endpoints: Endpoints
  readonly replies: EndpointReplies
  readonly faults: FaultBoard
  readonly counters: RequestCounters
  /** Aborts when the server closes, to end waits of slow answers. */
  readonly closing: AbortSignal
}

const METHODS: Record<Endpoint, readonly string[]> = {
  jwks: ['GET', 'HEAD'],
  metadata: ['GET', 'HEAD'],
  token: ['POST'],
}

/**
 * Maps a request to its endpoint, counts it, checks the method, and answers through the fault
 * switches. Unknown paths get a 404 JSON, wrong methods a 405 with `Allow`.
 *
 * @example
 * ```ts
 * const handle = createRouter(context)
 * const listener = await listen(handle, '127.0.0.1', 0)
 * ```
 */
export function createRouter(
  context: RouterContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const paths = new Map<string, Endpoint>([
    [new URL(context.endpoints.jwksUri).pathname, 'jwks'],
    [new URL(context.endpoints.tokenEndpoint).pathname, 'token'],
    ...context.endpoints.metadataUrls.map((url): [string, Endpoint] => [new URL(url).pathname, 'metadata']),
  ])
  return async (req, res) => {
    const endpoint = paths.get(pathOf(req.url))
    if (endpoint === undefined) {
      req.resume()
      return sendReply(res, jsonReply(404, { error: 'not_found', error_description: 'no such endpoint' }))
    }
    context.counters.count(endpoint)
    const allowed = METHODS[endpoint]
    if (!allowed.includes(req.method ?? '')) {
      req.resume()
      const error = { error: 'invalid_request', error_description: `use ${allowed.join(' or ')}` }
      return sendReply(res, jsonReply(405, error, { allow: allowed.join(', ') }))
    }
    const produce = async (): Promise<Reply> => {
      if (endpoint === 'token') return context.replies.token(req)
      req.resume()
      return endpoint === 'jwks' ? context.replies.jwks() : context.replies.metadata()
    }
    try {
      await answer(req, res, endpoint, context.faults.take(endpoint), produce, context.closing)
    } catch (error) {
      // Only an abort reaches here: the server is closing and the connection goes with it.
      if (!context.closing.aborted) throw error
    }
  }
}

// The path without query or fragment; a target that is not a path (e.g. `*`) matches nothing.
function pathOf(target: string | undefined): string {
  if (target === undefined || !target.startsWith('/')) return ''
  const end = target.search(/[?#]/)
  return end < 0 ? target : target.slice(0, end)
}
