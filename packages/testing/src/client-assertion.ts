import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import type { ClientRecord, ClientRegistry } from './clients.js'
import { invalidClient, invalidRequest } from './oauth-error.js'
import { SIGNING_ALGORITHMS } from './options.js'

/**
 * RFC 7523 §2.2: the only `client_assertion_type` accepted.
 *
 * @example
 * ```ts
 * new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion })
 * ```
 */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/**
 * Longest an assertion may live, in seconds: it is a one-shot credential, not a session.
 *
 * @example
 * ```ts
 * new SignJWT(claims).setExpirationTime(Math.floor(Date.now() / 1000) + MAX_ASSERTION_LIFETIME)
 * ```
 */
export const MAX_ASSERTION_LIFETIME = 300
const CLOCK_TOLERANCE = 5
// Replay memory is bounded; entries leave on expiry, the oldest leave first under a flood.
const MAX_REMEMBERED_JTIS = 10_000

/**
 * Verifies `private_key_jwt` client assertions (RFC 7523 §3): signed by a key in the
 * client's `jwks` with an asymmetric algorithm, `iss` = `sub` = client id, `aud` naming the
 * token endpoint or the issuer, a short `exp`, and a `jti` never seen before.
 *
 * @example
 * ```ts
 * const verifier = new ClientAssertionVerifier({ issuer, tokenEndpoint, clock: Date.now })
 * const client = await verifier.verify(params, registry)
 * ```
 */
export class ClientAssertionVerifier {
  readonly #issuer: string
  readonly #tokenEndpoint: string
  readonly #clock: () => number
  readonly #seen = new Map<string, number>()

  constructor(options: { issuer: string; tokenEndpoint: string; clock: () => number }) {
    this.#issuer = options.issuer
    this.#tokenEndpoint = options.tokenEndpoint
    this.#clock = options.clock
  }

  /** Returns the authenticated client, or throws `invalid_request` / `invalid_client`. */
  async verify(
    params: {
      assertion: string | undefined
      assertionType: string | undefined
      clientId: string | undefined
    },
    registry: ClientRegistry,
  ): Promise<ClientRecord> {
    if (params.assertionType !== CLIENT_ASSERTION_TYPE) {
      throw invalidRequest(`"client_assertion_type" must be ${CLIENT_ASSERTION_TYPE}`)
    }
    if (params.assertion === undefined) throw invalidRequest('"client_assertion" is missing')
    const clientId = unverifiedSubject(params.assertion)
    if (params.clientId !== undefined && params.clientId !== clientId) {
      throw invalidClient('"client_id" does not match the client assertion', false)
    }
    const client = registry.get(clientId)
    if (client?.jwks === undefined) throw invalidClient('client authentication failed', false)

    const now = this.#clock() / 1000
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(params.assertion, createLocalJWKSet(client.jwks), {
        algorithms: [...SIGNING_ALGORITHMS],
        issuer: clientId,
        subject: clientId,
        audience: [this.#tokenEndpoint, this.#issuer],
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(this.#clock()),
        clockTolerance: CLOCK_TOLERANCE,
      }))
    } catch (cause) {
      throw invalidClient(`client assertion rejected: ${(cause as Error).message}`, false)
    }
    const exp = payload.exp as number
    if (exp - now > MAX_ASSERTION_LIFETIME + CLOCK_TOLERANCE) {
      throw invalidClient(`client assertion must expire within ${MAX_ASSERTION_LIFETIME} seconds`, false)
    }
    this.#rememberJti(clientId, String(payload.jti), exp, now)
    return client
  }

  #rememberJti(clientId: string, jti: string, exp: number, now: number): void {
    for (const [key, expiry] of this.#seen) {
      if (expiry + CLOCK_TOLERANCE < now) this.#seen.delete(key)
    }
    const key = `${clientId}\u0000${jti}`
    if (this.#seen.has(key)) throw invalidClient('client assertion "jti" was already used', false)
    this.#seen.set(key, exp)
    if (this.#seen.size > MAX_REMEMBERED_JTIS) {
      const oldest = this.#seen.keys().next().value
      if (oldest !== undefined) this.#seen.delete(oldest)
    }
  }
}

// The client is named by `sub` (RFC 7523 §3); it is read before verification only to find
// the keys to verify with, and checked again by jwtVerify.
function unverifiedSubject(assertion: string): string {
  let sub: unknown
  try {
    sub = decodeJwt(assertion).sub
  } catch {
    throw invalidClient('client assertion is not a JWT', false)
  }
  if (typeof sub !== 'string' || sub === '') throw invalidClient('client assertion has no "sub"', false)
  return sub
}
