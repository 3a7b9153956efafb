import type { IncomingMessage } from 'node:http'
import { invalidRequest } from './oauth-error.js'

/** Largest token request body accepted. Real ones are well under 4 KiB; assertions included. */
export const MAX_FORM_BODY = 64 * 1024
// Past the limit the rest is read and thrown away, so the client sees the 413 instead of a reset
// mid-upload; past this much more it is not worth it, and the connection is cut.
const MAX_DISCARD = 8 * 1024 * 1024

/**
 * Reads an `application/x-www-form-urlencoded` body as text, at most `limit` bytes.
 * Rejects with `invalid_request` 413 when it is larger, and 400 when it is not UTF-8.
 *
 * @example
 * ```ts
 * const params = new URLSearchParams(await readFormBody(req))
 * ```
 */
export function readFormBody(req: IncomingMessage, limit = MAX_FORM_BODY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) chunks.push(chunk)
      else if (size > limit + MAX_DISCARD) req.destroy()
    })
    req.on('end', () => {
      if (size > limit) return reject(invalidRequest(`request body exceeds ${limit} bytes`, 413))
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)))
      } catch {
        reject(invalidRequest('request body is not valid UTF-8'))
      }
    })
    req.on('error', reject)
    // A destroyed request never ends; settle so nothing waits on it.
    req.on('close', () => reject(invalidRequest('request aborted')))
  })
}
