/**
 * Fetches a JSON document (metadata or key set) from the issuer with every
 * bound a hostile or broken server calls for: a total timeout, a size cap
 * enforced while streaming, no redirects to other origins, and JSON only.
 */
import { checkUrlPolicy } from './url-policy.js'

/** How {@link fetchJson} may fetch. */
export interface FetchPolicy {
  fetch: typeof globalThis.fetch
  timeout: number
  maxResponseBytes: number
  allowInsecureHttp: boolean
}

/** A fetched JSON document and its `Cache-Control: max-age` in ms, if any. */
export interface FetchedJson {
  body: unknown
  maxAge: number | undefined
}

const MAX_REDIRECTS = 3

/**
 * GETs `url` and parses its JSON body. Rejects with an Error whose message
 * says what went wrong (status, timeout, size, redirect, JSON) and never
 * contains the body.
 */
export async function fetchJson(url: URL, policy: FetchPolicy): Promise<FetchedJson> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  // The race bounds the whole exchange even if an injected fetch ignores the signal.
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${url.href} timed out after ${policy.timeout} ms`)
      controller.abort(error)
      reject(error)
    }, policy.timeout)
  })
  try {
    return await Promise.race([exchange(url, policy, controller.signal), timedOut])
  } finally {
    clearTimeout(timer)
  }
}

async function exchange(start: URL, policy: FetchPolicy, signal: AbortSignal): Promise<FetchedJson> {
  let url = start
  for (let hop = 0; ; hop++) {
    let response: Response
    try {
      response = await policy.fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal,
      })
    } catch (error) {
      throw unreachable(url, error, signal)
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      url = followRedirect(url, response.headers.get('location'), hop, policy)
      continue
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new Error(`${url.href} answered HTTP ${response.status}`)
    }
    const text = await readCapped(url, response, policy.maxResponseBytes, signal)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new Error(`${url.href} did not answer with valid JSON`)
    }
    return { body, maxAge: parseMaxAge(response.headers.get('cache-control')) }
  }
}

function followRedirect(from: URL, location: string | null, hop: number, policy: FetchPolicy): URL {
  if (hop >= MAX_REDIRECTS) throw new Error(`${from.href}: more than ${MAX_REDIRECTS} redirects`)
  if (location === null) throw new Error(`${from.href} redirected without a Location`)
  const to = new URL(location, from)
  // Keys must come from the configured origin; a redirect elsewhere is refused.
  if (to.origin !== from.origin) throw new Error(`${from.href} redirected to another origin (${to.origin})`)
  checkUrlPolicy('redirect target', to, policy.allowInsecureHttp)
  return to
}

async function readCapped(
  url: URL,
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new Error(`response of ${declared} bytes exceeds the ${maxBytes}-byte cap`)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>
    try {
      chunk = await reader.read()
    } catch (error) {
      throw unreachable(url, error, signal)
    }
    const { done, value } = chunk
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new Error(`response exceeds the ${maxBytes}-byte cap`)
    }
    chunks.push(value)
  }
  // Not Buffer, which Workers lack; invalid UTF-8 becomes U+FFFD and a BOM stays, as Buffer had it.
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return UTF8.decode(bytes)
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * fetch rejects with a bare "fetch failed"; the reason (refused, reset, DNS)
 * is in its `cause`. Operators need it, and the URL, in the error.
 */
function unreachable(url: URL, error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason // timed out: the timeout's own error says so
  const cause = (error as { cause?: { message?: unknown; code?: unknown } } | undefined)?.cause
  const detail = [cause?.message, cause?.code].find((value) => typeof value === 'string' && value !== '')
  const message = `${error instanceof Error ? error.message : String(error)}${detail === undefined ? '' : ` (${detail})`}`
  return new Error(`${url.href} could not be fetched: ${message}`, { cause: error })
}

/** `max-age` from a Cache-Control header, in ms; `no-cache`/`no-store` count as 0. */
export function parseMaxAge(header: string | null): number | undefined {
  if (header === null) return undefined
  const directives = header.toLowerCase()
  if (/(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)/.test(directives)) return 0
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/.exec(directives)
  return match === null ? undefined : Number(match[1]) * 1000
}
