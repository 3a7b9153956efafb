import type { ClientAssertionVerifier } from './client-assertion.js'
import { anySecretMatches, parseBasicCredentials } from './client-secret.js'
import type { ClientRecord, ClientRegistry } from './clients.js'
import type { FormParams } from './form-params.js'
import { invalidClient, invalidRequest } from './oauth-error.js'

/** The token endpoint authentication methods the server supports. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const

/**
 * One of {@link CLIENT_AUTH_METHODS}, as metadata lists them.
 *
 * @example
 * ```ts
 * const method: ClientAuthMethod = 'private_key_jwt'
 * ```
 */
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number]

/**
 * Authenticates the client of a token request with exactly one method (RFC 6749 §2.3: a
 * client must not use more than one). Unknown clients and wrong secrets get the same answer,
 * so the endpoint does not reveal which client ids exist.
 *
 * @example
 * ```ts
 * const client = await authenticateClient(req.headers.authorization, params, registry, assertions)
 * ```
 */
export async function authenticateClient(
  authorization: string | undefined,
  params: FormParams,
  registry: ClientRegistry,
  assertions: ClientAssertionVerifier,
): Promise<ClientRecord> {
  const method = detectMethod(authorization, params)
  if (method === 'private_key_jwt') {
    return assertions.verify(
      {
        assertion: params.get('client_assertion'),
        assertionType: params.get('client_assertion_type'),
        clientId: params.get('client_id'),
      },
      registry,
    )
  }
  const basic = method === 'client_secret_basic'
  const { clientId, clientSecret } = basic
    ? parseBasicCredentials(authorization as string)
    : { clientId: params.get('client_id'), clientSecret: params.get('client_secret') as string }
  if (clientId === undefined) throw invalidRequest('"client_id" is missing')
  if (basic && params.has('client_id') && params.get('client_id') !== clientId) {
    throw invalidRequest('"client_id" does not match the Basic credentials')
  }
  const client = registry.get(clientId)
  if (!anySecretMatches(clientSecret, client?.secrets) || client === undefined) {
    throw invalidClient('client authentication failed', basic)
  }
  return client
}

function detectMethod(authorization: string | undefined, params: FormParams): ClientAuthMethod {
  if (authorization !== undefined && !/^Basic(?: |$)/i.test(authorization)) {
    throw invalidClient('the Authorization header must use the Basic scheme', true)
  }
  const used: ClientAuthMethod[] = []
  if (authorization !== undefined) used.push('client_secret_basic')
  if (params.has('client_secret')) used.push('client_secret_post')
  if (params.has('client_assertion') || params.has('client_assertion_type')) used.push('private_key_jwt')
  const [method, ...others] = used
  if (others.length > 0)
    throw invalidRequest(`use exactly one client authentication method, not ${used.join(' and ')}`)
  // No credentials at all: challenge with Basic, the method every client supports.
  if (method === undefined) throw invalidClient('client authentication is required', true)
  return method
}
