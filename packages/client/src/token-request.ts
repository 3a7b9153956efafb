import type { ClientAuthentication } from './client-auth.js'
import type { DpopSession } from './dpop-session.js'
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
  /** With DPoP: each request carries a proof, and the answer must be a DPoP token. */
  dpop: DpopSession | undefined
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

async function post(
  context: TokenRequestContext,
  tokenEndpoint: string,
  { headers, params }: ClientAuthentication,
) {
  const body = new URLSearchParams([['grant_type', 'client_credentials'], ...context.params, ...params])
  const proof = context.dpop === undefined ? {} : { dpop: await context.dpop.proof('POST', tokenEndpoint) }
  try {
    return await exchange(
      context.fetch,
      tokenEndpoint,
      {
        method: 'POST',
        headers: {
          ...headers,
          ...proof,
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
}

// One token request; with DPoP, once more if the server asks for a nonce (400 use_dpop_nonce with a
// DPoP-Nonce header, RFC 9449 §8). The retry authenticates anew: a client assertion's jti is spent.
async function send(
  context: TokenRequestContext,
  tokenEndpoint: string,
  authentication: ClientAuthentication,
): Promise<TokenResponse> {
  let auth = authentication
  for (let nonceRetried = false; ; nonceRetried = true) {
    const sentAt = context.clock()
    const result = await post(context, tokenEndpoint, auth)
    const nonce = context.dpop?.remember(tokenEndpoint, result.headers) ?? false
    try {
      return readTokenResponse(result, {
        sentAt,
        now: context.clock(),
        defaultLifetime: context.defaultLifetime,
        secrets: auth.secrets,
        tokenType: context.dpop === undefined ? 'Bearer' : 'DPoP',
      })
    } catch (error) {
      const askedForNonce = error instanceof TokenRequestError && error.error === 'use_dpop_nonce'
      if (nonceRetried || !nonce || !askedForNonce) throw error
      auth = await context.authenticate(tokenEndpoint)
    }
  }
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
