import type { IncomingMessage } from 'node:http'
import type { ClientAssertionVerifier } from './client-assertion.js'
import { authenticateClient } from './client-auth.js'
import type { ClientRegistry } from './clients.js'
import type { DpopProofs } from './dpop.js'
import { readFormBody } from './form-body.js'
import { parseFormParams } from './form-params.js'
import { grantAudience, grantScopes } from './grant.js'
import { type MintContext, mintToken } from './mint.js'
import { invalidRequest, OAuthError } from './oauth-error.js'
import { jsonReply, oauthErrorReply, type Reply } from './respond.js'
import type { MutualTls } from './tls.js'

/** What the token endpoint needs from the server. */
export interface TokenEndpointContext {
  readonly registry: ClientRegistry
  readonly assertions: ClientAssertionVerifier
  readonly mint: MintContext
  readonly dpop: DpopProofs
  /** Set when the server speaks HTTPS with client certificates. */
  readonly mtls?: MutualTls | undefined
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/**
 * `POST /token` for `grant_type=client_credentials` (RFC 6749 §4.4): authenticates the client,
 * narrows scope and audience to what it may have, and answers with an RFC 9068 access token.
 * Every refusal is an RFC 6749 §5.2 error reply; nothing a request sends makes it reject.
 *
 * @example
 * ```ts
 * sendReply(res, await tokenReply(req, { registry, assertions, mint }))
 * ```
 */
export async function tokenReply(req: IncomingMessage, context: TokenEndpointContext): Promise<Reply> {
  try {
    return jsonReply(200, await issueToken(req, context), { ...NO_STORE, ...context.dpop.headers() })
  } catch (error) {
    if (error instanceof OAuthError) return oauthErrorReply(error)
    return oauthErrorReply(new OAuthError(500, 'server_error', 'the token could not be issued'))
  }
}

async function issueToken(req: IncomingMessage, context: TokenEndpointContext) {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/x-www-form-urlencoded') {
    req.resume()
    throw invalidRequest('Content-Type must be application/x-www-form-urlencoded')
  }
  const params = parseFormParams(await readFormBody(req))
  const grantType = params.get('grant_type')
  if (grantType === undefined) throw invalidRequest('"grant_type" is missing')
  if (grantType !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials is supported')
  }
  // Before client authentication, so a use_dpop_nonce retry does not spend a client assertion.
  const proof = await context.dpop.check(req)
  const client =
    context.mtls?.authenticate(req, params, context.registry, context.mint.clock()) ??
    (await authenticateClient(req.headers.authorization, params, context.registry, context.assertions))
  // One binding per token: the DPoP key when there is a proof, else the TLS certificate (RFC 8705 §3).
  const cnf = proof === undefined ? context.mtls?.confirmation(req) : { jkt: proof.jkt }
  const { flavor } = context.mint
  const { scopes, audience: aud } = flavor?.grant?.(params, client, context.mint.audience) ?? {
    scopes: grantScopes(params.get('scope'), client.scopes),
    audience: grantAudience(
      [...params.getAll('audience'), ...params.getAll('resource')],
      client,
      context.mint.audience,
    ),
  }
  const expiresIn = client.tokenLifetime ?? context.mint.tokenLifetime
  const scope = scopes.join(' ')
  const now = Math.floor(context.mint.clock() / 1000)
  const claims = {
    ...(flavor === undefined
      ? { sub: client.clientId, client_id: client.clientId, aud, ...(scope === '' ? {} : { scope }) }
      : flavor.claims(context.mint.issuer, { clientId: client.clientId, scopes, audience: aud, now })),
    ...(cnf === undefined ? {} : { cnf }),
  }
  const accessToken = await mintToken(context.mint, claims, { expiresIn })
  return {
    access_token: accessToken,
    token_type: proof === undefined ? 'Bearer' : 'DPoP',
    expires_in: expiresIn,
    ...(scope === '' || flavor?.replyScope === false ? {} : { scope }),
  }
}
