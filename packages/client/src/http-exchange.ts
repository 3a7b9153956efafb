/**
 * What an HTTP exchange produced: the status, headers and the whole (size-capped) body as text.
 *
 * @example
 * ```ts
 * const { status, headers, body } = await exchange(fetch, url, { method: 'GET' }, limits)
 * ```
 */
export interface ExchangeResult {
  status: number
  headers: Headers
  body: string
}

/**
 * Why an exchange produced no result: no answer, no answer in time, or an answer too large to read.
 *
 * @example
 * ```ts
 * if (err instanceof ExchangeError && err.kind === 'timeout') retry()
 * ```
 */
export class ExchangeError extends Error {
  override readonly name = 'ExchangeError'
  constructor(
    readonly kind: 'network' | 'timeout' | 'too_large',
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options)
  }
}

/**
 * Limits of one exchange.
 *
 * @example
 * ```ts
 * const limits: ExchangeLimits = { timeout: 10_000, maxResponseSize: 65_536 }
 * ```
 */
export interface ExchangeLimits {
  timeout: number
  maxResponseSize: number
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw new ExchangeError('too_large', `response body of ${declared} bytes exceeds ${maxBytes}`)
  }
  if (response.body === null) return ''
  // Counted while streaming, because Content-Length may be absent or wrong.
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new ExchangeError('too_large', `response body exceeds ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Makes one HTTP request and reads the whole answer, within `timeout` (body included) and
 * `maxResponseSize`. The timer is unref'd: the open socket already keeps the process alive while the
 * request matters, and a timer must not keep it alive after. The time limit is enforced by racing,
 * not only by the abort signal, so an injected fetch that ignores the signal cannot hang the client.
 *
 * @example
 * ```ts
 * const result = await exchange(fetch, 'https://auth.example.com/token', { method: 'POST', body }, limits)
 * ```
 */
export async function exchange(
  fetchImpl: typeof globalThis.fetch,
  url: string,
  init: RequestInit,
  limits: ExchangeLimits,
): Promise<ExchangeResult> {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ExchangeError('timeout', `no complete answer within ${limits.timeout} ms`)
      controller.abort(error)
      reject(error)
    }, limits.timeout)
    timer.unref?.()
  })
  expired.catch(() => {})
  const run = async (): Promise<ExchangeResult> => {
    let response: Response
    try {
      // Redirects are not followed unless asked: a token request replayed elsewhere would carry the
      // credentials to another host. A 3xx then surfaces as a status, not as a retried network error.
      response = await fetchImpl(url, { redirect: 'manual', ...init, signal: controller.signal })
    } catch (cause) {
      throw new ExchangeError('network', 'request failed', { cause })
    }
    const body = await readCapped(response, limits.maxResponseSize).catch((cause: unknown) => {
      if (cause instanceof ExchangeError) throw cause
      throw new ExchangeError('network', 'reading the response failed', { cause })
    })
    return { status: response.status, headers: response.headers, body }
  }
  try {
    return await Promise.race([run(), expired])
  } finally {
    clearTimeout(timer)
  }
}
