/**
 * One GET to the issuer, recorded for the doctor: status, time, headers,
 * body (capped), and the redirects core would follow (same origin, at most 3).
 */

/** What one request to the issuer gave. */
export interface Probe {
  url: string
  /** Milliseconds from request to the end of the body (or the failure). */
  ms: number
  /** Local time (epoch ms) half-way through the exchange, to compare with `Date`. */
  midpoint: number
  status?: number
  headers?: Headers
  /** The body, when the answer was 2xx and not over {@link BODY_CAP}. */
  body?: string
  /** Set when the body was larger than {@link BODY_CAP}. */
  oversized?: boolean
  /** Why there was no answer: timeout, refused, TLS, reset, or a redirect core refuses. */
  error?: string
  /** Redirects followed, each `from → to`; core follows up to 3, within the origin. */
  redirects: string[]
}

/** Largest body read: twice core's default cap, so "over the cap" can still be told. */
export const BODY_CAP = 512 * 1024

/** How probes are made. */
export interface ProbeOptions {
  timeout: number
  fetch: typeof globalThis.fetch
  clock: () => number
}

const MAX_REDIRECTS = 3

/**
 * GETs `url`, following redirects only as core does (same origin, at most 3); never rejects.
 *
 * @example
 * const probe = await probeUrl('https://idp.example/jwks', { timeout: 5000, fetch, clock: Date.now })
 */
export async function probeUrl(url: string, options: ProbeOptions): Promise<Probe> {
  const started = options.clock()
  const redirects: string[] = []
  const done = (fields: Omit<Probe, 'url' | 'ms' | 'midpoint' | 'redirects'>): Probe => {
    const ended = options.clock()
    return { url, ms: ended - started, midpoint: (started + ended) / 2, redirects, ...fields }
  }
  // One timeout for the whole exchange, redirects included, as core's.
  const signal = AbortSignal.timeout(options.timeout)
  let current = new URL(url)
  try {
    for (;;) {
      const response = await options.fetch(current, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal,
      })
      const { status, headers } = response
      if (status >= 300 && status < 400) {
        await response.body?.cancel()
        const location = headers.get('location')
        if (location === null) return done({ status, headers, error: `HTTP ${status} without a Location` })
        const next = new URL(location, current)
        redirects.push(`${current.href} → ${next.href}`)
        if (next.origin !== current.origin) {
          return done({
            status,
            headers,
            error: `redirected to another origin (${next.origin}): core refuses that`,
          })
        }
        if (redirects.length > MAX_REDIRECTS) {
          return done({ status, headers, error: `more than ${MAX_REDIRECTS} redirects: core gives up` })
        }
        current = next
        continue
      }
      if (status < 200 || status >= 300) {
        await response.body?.cancel()
        return done({ status, headers })
      }
      const read = await readCapped(response)
      return done({ status, headers, ...read })
    }
  } catch (error) {
    return done({ error: describeFailure(error, signal, options.timeout) })
  }
}

async function readCapped(response: Response): Promise<{ body?: string; oversized?: boolean }> {
  if (response.body === null) return { body: '' }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > BODY_CAP) {
      await reader.cancel()
      return { oversized: true }
    }
    chunks.push(value)
  }
  return { body: Buffer.concat(chunks).toString('utf8') }
}

// fetch says only "fetch failed"; the reason (refused, DNS, certificate) is in its cause.
function describeFailure(error: unknown, signal: AbortSignal, timeout: number): string {
  if (signal.aborted) return `no answer within ${timeout} ms`
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : undefined
  const message = typeof cause?.message === 'string' ? cause.message : (error as Error)?.message
  return code !== undefined && !String(message).includes(code) ? `${message} (${code})` : String(message)
}

/**
 * The fix for a request that got no answer, from the failure's wording.
 *
 * @example
 * fixForFailure('no answer within 5000 ms') // 'the issuer is too slow or unreachable: …'
 */
export function fixForFailure(error: string): string {
  if (/CERT|certificate|SSL|TLS/i.test(error)) {
    return 'the TLS certificate is not trusted here: fix the chain, or add your CA with NODE_EXTRA_CA_CERTS'
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(error)) return 'the host name does not resolve: check the URL and DNS'
  if (/no answer within/.test(error)) {
    return 'the issuer is too slow or unreachable: core gives up after jwksCache.timeout (5 s by default)'
  }
  return 'is the URL right, and the issuer reachable from this machine (proxy, firewall)?'
}
