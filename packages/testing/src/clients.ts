import type { JWK } from 'jose'
import { assertPositiveInteger, type RegisteredClient } from './options.js'

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/
// JWK members that only private or symmetric keys carry (RFC 7518 §6).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

/** A registered client with its audiences normalised to a list, and its active secrets. */
export interface ClientRecord extends RegisteredClient {
  readonly audiences: readonly string[]
  /** Every secret that authenticates it now: `clientSecret`, then those added, less those revoked. */
  readonly secrets: readonly string[]
}

/**
 * The clients the token endpoint knows, keyed by `client_id`.
 *
 * @example
 * ```ts
 * const registry = new ClientRegistry()
 * registry.add({ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] })
 * registry.get('billing')?.scopes // ['orders:read']
 * ```
 */
export class ClientRegistry {
  readonly #clients = new Map<string, ClientRecord>()

  /** Registers a client, or replaces the one with the same id. Throws on an invalid client. */
  add(client: RegisteredClient): void {
    const record = validateClient(client)
    this.#clients.set(record.clientId, record)
  }

  /** Forgets a client; returns whether it was registered. */
  remove(clientId: string): boolean {
    return this.#clients.delete(clientId)
  }

  /** The client with this id, if any. */
  get(clientId: string): ClientRecord | undefined {
    return this.#clients.get(clientId)
  }

  /** Every registered client, in registration order. */
  list(): ClientRecord[] {
    return [...this.#clients.values()]
  }

  /** Adds an active secret, beside the ones it has (rotation: deploy the new one, then revoke the old). */
  addSecret(clientId: string, secret: string): void {
    const client = this.#known(clientId)
    checkSecret(secret, `client "${clientId}": the secret`)
    if (!client.secrets.includes(secret))
      this.#clients.set(clientId, { ...client, secrets: [...client.secrets, secret] })
  }

  /** Stops a secret from authenticating; returns whether the client had it. */
  revokeSecret(clientId: string, secret: string): boolean {
    const client = this.#known(clientId)
    if (!client.secrets.includes(secret)) return false
    this.#clients.set(clientId, { ...client, secrets: client.secrets.filter((kept) => kept !== secret) })
    return true
  }

  /** Adds a public key for `private_key_jwt`; it needs a `kid`, to be revoked by. Replaces a key with the same kid. */
  addKey(clientId: string, key: JWK): void {
    const client = this.#known(clientId)
    const label = `client "${clientId}"`
    validateJwks({ keys: [key] }, label)
    if (typeof key.kid !== 'string' || key.kid === '')
      throw new TypeError(`${label}: an added key needs a "kid"`)
    const others = client.jwks?.keys.filter((kept) => kept.kid !== key.kid) ?? []
    this.#clients.set(clientId, { ...client, jwks: { keys: [...others, { ...key }] } })
  }

  /** Stops the keys with this `kid` from verifying client assertions; returns whether there were any. */
  revokeKey(clientId: string, kid: string): boolean {
    const client = this.#known(clientId)
    const keys = client.jwks?.keys ?? []
    const kept = keys.filter((key) => key.kid !== kid)
    if (kept.length === keys.length) return false
    const { jwks: _revoked, ...rest } = client
    this.#clients.set(clientId, kept.length === 0 ? rest : { ...rest, jwks: { keys: kept } })
    return true
  }

  #known(clientId: string): ClientRecord {
    const client = this.#clients.get(clientId)
    if (client === undefined) throw new Error(`no client "${clientId}" is registered`)
    return client
  }
}

function checkSecret(secret: unknown, label: string): void {
  if (typeof secret !== 'string' || secret === '') throw new TypeError(`${label} must be a non-empty string`)
}

/**
 * Checks a client eagerly, so a typo fails at registration with the field's name, and copies
 * it so later changes to the caller's object cannot reach the registry.
 *
 * @example
 * ```ts
 * validateClient({ clientId: 'billing', clientSecret: 's3cret', scopes: [] }).audiences // []
 * ```
 */
export function validateClient(client: RegisteredClient): ClientRecord {
  if (typeof client !== 'object' || client === null) throw new TypeError('client must be an object')
  const { clientId, clientSecret, jwks, scopes, audience, tokenLifetime } = client
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError('client "clientId" must be a non-empty string')
  }
  const label = `client "${clientId}"`
  if (clientSecret !== undefined) checkSecret(clientSecret, `${label}: "clientSecret"`)
  if (jwks !== undefined) validateJwks(jwks, label)
  if (
    clientSecret === undefined &&
    jwks === undefined &&
    client.tlsClientAuth === undefined &&
    client.selfSignedCertificate === undefined
  ) {
    throw new TypeError(
      `${label} needs "clientSecret", "jwks", "tlsClientAuth" or "selfSignedCertificate" to authenticate`,
    )
  }
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new TypeError(`${label}: "scopes" must be an array of scope tokens (no spaces or quotes)`)
  }
  const audiences = audience === undefined ? [] : typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string' && a !== '')) {
    throw new TypeError(`${label}: "audience" must be a non-empty string or an array of them`)
  }
  if (tokenLifetime !== undefined) assertPositiveInteger(tokenLifetime, `${label}: "tokenLifetime"`)
  return {
    ...client,
    scopes: [...scopes],
    ...(jwks === undefined ? {} : { jwks: { keys: jwks.keys.map((key) => ({ ...key })) } }),
    audiences: [...audiences],
    secrets: clientSecret === undefined ? [] : [clientSecret],
  }
}

function validateJwks(jwks: { keys: JWK[] }, label: string): void {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new TypeError(`${label}: "jwks" must be { keys: [...] } with at least one key`)
  }
  for (const key of jwks.keys) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') {
      throw new TypeError(`${label}: every key in "jwks" must be a JWK with "kty"`)
    }
    // A private key here means the client's secret was pasted into the server: refuse it loudly.
    if (PRIVATE_MEMBERS.some((member) => member in key)) {
      throw new TypeError(`${label}: "jwks" must hold public keys only`)
    }
  }
}
