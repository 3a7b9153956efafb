import type { ClientAuthentication } from './client-auth.js'
import { TokenRequestError } from './errors.js'
import type { TokenClientEvent } from './events.js'
import { ExchangeError, type ExchangeLimits, exchange } from './http-exchange.js'
import { readTokenResponse, type TokenResponse } from './token-response.js'

/**
 * Everything one token request needs, fixed when the client is created.
 *
 * @example
 * ```ts
 * const request = createTokenRequest({ fetch, clock, limits, resolveEndpoint, authenticate, params, defaultLifetime })
 * ```
 */
export interface TokenRequestContext {
  fetch: typeof globalThis.fetch
  clock: () => number
  limits: ExchangeLimits
  resolveEndpoint: () => Promise<string>
  authenticate: (tokenEndpoint: string) => Promise<ClientAuthentication>
  /** The credential is a function: after `invalid_client`, read it again and retry once if it changed. */
  rereadOnInvalidClient: boolean
  emit: (event: TokenClientEvent) => void
  /** scope, audience, resource. */
  params: ReadonlyArray<[string, string]>
  defaultLifetime: number
}

function transportFailure(cause: unknown): TokenRequestError {
  if (cause instanceof ExchangeError && cause.kind === 'timeout') {
    return new TokenRequestError(`token request timed out: ${cause.message}`, {
      reason: 'timeout',
      retryable: true,
    })
  }
  if (cause instanceof ExchangeError && cause.kind === 'too_large') {
    return new TokenRequestError(`invalid token response: ${cause.message}`, {
      reason: 'invalid_response',
    })
  }
  const inner = cause instanceof ExchangeError ? cause.cause : cause
  return new TokenRequestError('token request failed: no answer from the token endpoint', {
    reason: 'network_error',
    retryable: true,
    cause: inner,
  })
}

async function send(
  context: TokenRequestContext,
  tokenEndpoint: string,
  { headers, params, secrets }: ClientAuthentication,
): Promise<TokenResponse> {
  const body = new URLSearchParams([['grant_type', 'client_credentials'], ...context.params, ...params])
  const sentAt = context.clock()
  let result: Awaited<ReturnType<typeof exchange>>
  try {
    result = await exchange(
      context.fetch,
      tokenEndpoint,
      {
        method: 'POST',
        headers: {
          ...headers,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: body.toString(),
      },
      context.limits,
    )
  } catch (cause) {
    throw transportFailure(cause)
  }
  return readTokenResponse(result, {
    sentAt,
    now: context.clock(),
    defaultLifetime: context.defaultLifetime,
    secrets,
  })
}

/**
 * Returns a function that makes one client-credentials token request (RFC 6749 §4.4.2): resolves the
 * endpoint (discovering it if needed), authenticates, posts the form, and validates the answer.
 * Retrying after failures is the caller's business, with one exception: when the credential is a
 * function and the server answers `invalid_client`, the credential is read again and, if it changed
 * (it was rotated meanwhile), the request is sent once more with it. An unchanged credential is not
 * sent again: the server would refuse it again.
 *
 * @example
 * ```ts
 * const requestToken = createTokenRequest(context)
 * const { accessToken, lifetime } = await requestToken()
 * ```
 */
export function createTokenRequest(context: TokenRequestContext): () => Promise<TokenResponse> {
  return async () => {
    const tokenEndpoint = await context.resolveEndpoint()
    const first = await context.authenticate(tokenEndpoint)
    try {
      return await send(context, tokenEndpoint, first)
    } catch (error) {
      if (!context.rereadOnInvalidClient) throw error
      if (!(error instanceof TokenRequestError) || error.error !== 'invalid_client') throw error
      const again = await context.authenticate(tokenEndpoint)
      const changed = again.fingerprint !== first.fingerprint
      context.emit({ type: 'credential_reread', changed })
      if (!changed) throw error
      return send(context, tokenEndpoint, again)
    }
  }
}
