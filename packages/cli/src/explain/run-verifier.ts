/**
 * Runs core's real verifier on the token, watching what it does: its events
 * (keys fetched, token verified or rejected) and every URL it fetches. The
 * token itself goes nowhere: the verifier only fetches metadata and keys.
 */
import {
  AuthError,
  type AuthResult,
  createVerifier,
  type RequestInfo,
  type Requirement,
  type VerifierEvent,
  type VerifierOptions,
} from '@m2m-guard/core'
import { UsageError } from '../usage-error.js'

/**
 * One request the verifier made.
 *
 * @example
 * for (const contact of report.fetched) console.log(contact.url, contact.status)
 */
export interface Contact {
  url: string
  status?: number
  ms: number
  /** The response's `Date`, for the clock comparison. */
  date?: string
  /** Local time (epoch ms) when the response came. */
  receivedAt?: number
}

/** What the verifier decided, and what it did on the way. */
export interface VerifierRun {
  result: AuthResult | undefined
  error: AuthError | undefined
  events: VerifierEvent[]
  contacts: Contact[]
  /** Local time (epoch ms) when verification started. */
  startedAt: number
}

/**
 * Verifies `token` with a verifier made from `options`, checking `requirement`;
 * with a `request` (which carries the token), as adapters do:
 * `authenticateRequest`, binding included. Invalid options are a
 * {@link UsageError} naming `source` (the config file or the flags).
 *
 * @example
 * const run = await runVerifier({ issuer, audience }, token, { scopes: ['orders:read'] }, 'the flags')
 */
export async function runVerifier(
  options: VerifierOptions,
  token: string,
  requirement: Requirement | undefined,
  source: string,
  request?: RequestInfo,
): Promise<VerifierRun> {
  const events: VerifierEvent[] = []
  const contacts: Contact[] = []
  const userFetch = options.fetch ?? globalThis.fetch
  const userOnEvent = options.onEvent
  const clock = options.clock ?? Date.now
  const watchedFetch: typeof globalThis.fetch = async (input, init) => {
    const started = Date.now()
    const url = input instanceof Request ? input.url : String(input)
    try {
      const response = await userFetch(input, init)
      const date = response.headers.get('date')
      const receivedAt = Date.now()
      contacts.push({
        url,
        status: response.status,
        ms: receivedAt - started,
        ...(date === null ? {} : { date, receivedAt }),
      })
      return response
    } catch (error) {
      contacts.push({ url, ms: Date.now() - started })
      throw error
    }
  }
  let verifier: ReturnType<typeof createVerifier>
  try {
    verifier = createVerifier({
      ...options,
      fetch: watchedFetch,
      onEvent: (event) => {
        events.push(event)
        userOnEvent?.(event)
      },
    })
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`${source}: ${error.message}`, 'explain')
    throw error
  }
  const startedAt = clock()
  try {
    const result =
      request === undefined
        ? await verifier.verify(token, requirement)
        : await verifier.authenticateRequest(request, requirement)
    return { result, error: undefined, events, contacts, startedAt }
  } catch (error) {
    if (error instanceof AuthError) return { result: undefined, error, events, contacts, startedAt }
    if (error instanceof TypeError)
      throw new UsageError(`the requirement (--scope, --client): ${error.message}`, 'explain')
    throw error
  }
}
