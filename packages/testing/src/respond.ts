import type { ServerResponse } from 'node:http'
import type { OAuthError } from './oauth-error.js'

/**
 * A complete answer, built before it is sent so that fault switches can delay, pad or cut it.
 *
 * @example
 * ```ts
 * const reply: Reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' }
 * ```
 */
export interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * A JSON reply.
 *
 * @example
 * ```ts
 * jsonReply(200, { keys }, { 'cache-control': 'max-age=300' })
 * ```
 */
export function jsonReply(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }
}

/**
 * An RFC 6749 §5.2 error reply. `no-store` because token endpoint errors must not be cached either.
 *
 * @example
 * ```ts
 * oauthErrorReply(invalidRequest('"grant_type" is missing')).status // 400
 * ```
 */
export function oauthErrorReply(error: OAuthError): Reply {
  return jsonReply(
    error.status,
    { error: error.error, error_description: error.description },
    { 'cache-control': 'no-store', pragma: 'no-cache', ...error.headers },
  )
}

/**
 * Sends a reply with a Content-Length, unless the response has already started or the
 * connection is gone (a late error must not throw on top of the first).
 *
 * @example
 * ```ts
 * sendReply(res, jsonReply(404, { error: 'not_found' }))
 * ```
 */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) })
  res.end(reply.body)
}
