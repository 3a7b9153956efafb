import type { IncomingMessage, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CannedResponse, Endpoint, Plan } from './faults.js'
import { jsonReply, type Reply, sendReply } from './respond.js'

// Valid JSON that no well-behaved consumer may accept: the right fields with the wrong types.
const INVALID_BODIES: Record<Endpoint, unknown> = {
  jwks: { keys: 'not-a-list' },
  metadata: { issuer: 42, jwks_uri: ['not', 'a', 'url'], token_endpoint: null },
  token: { access_token: 42, token_type: 'Bearer', expires_in: 'soon' },
}
const HTML_PAGE =
  '<!doctype html><html><head><title>Sign in</title></head><body><h1>Proxy login required</h1></body></html>'
const GARBAGE = '\u0000\u00ff{"keys": [garbage ]]] not json \u0001'

/**
 * Answers one request: normally through `produce`, or as `plan` says. `produce` runs only
 * when the fault needs the real answer (slow, stall, oversized), so a broken token endpoint
 * has no side effects. Waits end early when `signal` aborts, i.e. when the server closes.
 *
 * @example
 * ```ts
 * await answer(req, res, 'jwks', faults.take('jwks'), async () => jwksReply(), closing.signal)
 * ```
 */
export async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: Endpoint,
  plan: Plan | undefined,
  produce: () => Promise<Reply>,
  signal: AbortSignal,
): Promise<void> {
  if (plan === undefined) return sendReply(res, await produce())
  if (plan.kind === 'canned') {
    req.resume()
    if (plan.response.delayMs !== undefined) await sleep(plan.response.delayMs, undefined, { signal })
    return sendReply(res, cannedReply(plan.response))
  }
  switch (plan.fault) {
    case 'slow': {
      const reply = await produce()
      await sleep(plan.delayMs, undefined, { signal })
      return sendReply(res, reply)
    }
    case 'stall':
      return stall(res, await produce())
    case 'oversized':
      return sendOversized(res, await produce(), plan.size)
  }
  req.resume()
  switch (plan.fault) {
    case 'down':
      return sendReply(res, jsonReply(503, { error: 'temporarily_unavailable' }))
    case 'status500':
      return sendReply(res, jsonReply(500, { error: 'server_error' }))
    case 'garbage':
      return sendReply(res, { status: 200, headers: { 'content-type': 'application/json' }, body: GARBAGE })
    case 'html':
      return sendReply(res, { status: 200, headers: { 'content-type': 'text/html' }, body: HTML_PAGE })
    case 'invalid':
      return sendReply(res, jsonReply(200, INVALID_BODIES[endpoint]))
    case 'reset':
      req.socket.resetAndDestroy()
      return
    case 'hang':
      // Nothing is sent; close() destroys the socket.
      return
  }
}

/**
 * The reply for a canned response; without a body, an RFC 6749 error object that fits the status.
 *
 * @example
 * ```ts
 * cannedReply({ status: 429, headers: { 'retry-after': '1' } }).body // '{"error":"temporarily_unavailable"}'
 * ```
 */
export function cannedReply(response: CannedResponse): Reply {
  const headers = { ...response.headers }
  if (typeof response.body === 'string') {
    return {
      status: response.status,
      headers: { 'content-type': 'text/plain', ...headers },
      body: response.body,
    }
  }
  return jsonReply(response.status, response.body ?? defaultBody(response.status), headers)
}

function defaultBody(status: number): unknown {
  if (status === 429 || status === 503) return { error: 'temporarily_unavailable' }
  if (status >= 500) return { error: 'server_error' }
  if (status === 401) return { error: 'invalid_client' }
  if (status >= 400) return { error: 'invalid_request' }
  return {}
}

// Headers promise the whole body; half of it arrives; the rest never does.
function stall(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body)
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) })
  res.write(body.subarray(0, Math.floor(body.length / 2)))
}

// The real document, still valid JSON, padded past any sane size limit and sent chunked, so
// only a consumer that counts bytes as they arrive notices.
function sendOversized(res: ServerResponse, reply: Reply, size: number): void {
  const opening = `${reply.body.slice(0, -1)}${reply.body.length > 2 ? ',' : ''}"padding":"`
  const closing = '"}'
  res.writeHead(reply.status, { ...reply.headers })
  res.write(opening)
  const chunk = 'x'.repeat(64 * 1024)
  let remaining = Math.max(0, size - opening.length - closing.length)
  while (remaining > 0 && !res.destroyed) {
    res.write(remaining >= chunk.length ? chunk : chunk.slice(0, remaining))
    remaining -= chunk.length
  }
  res.end(closing)
}
