import type { JWK } from 'jose'
import { ClientAssertionVerifier } from './client-assertion.js'
import { ClientRegistry, validateClient } from './clients.js'
import { DPOP_ALGORITHMS, DpopProofs } from './dpop.js'
import { type CannedResponse, type Endpoint, type Fault, FaultBoard, type FaultOptions } from './faults.js'
import type { FlavorName } from './flavors/shape.js'
import { listen } from './http-listener.js'
import { KeyStore, type SigningKey } from './keys.js'
import { buildMetadata, endpointsFor, flavorEndpoints } from './metadata.js'
import {
  type HmacConfusionOptions,
  type MintContext,
  type MintOptions,
  mintHmacWithPublicKey,
  mintToken,
} from './mint.js'
import {
  type AuthServerOptions,
  type RegisteredClient,
  resolveOptions,
  type SigningAlgorithm,
} from './options.js'
import { RequestCounters, type RequestCounts } from './request-counters.js'
import { jsonReply } from './respond.js'
import { createRouter } from './router.js'
import { checkCertificateRegistration, MutualTls } from './tls.js'
import { tokenReply } from './token-endpoint.js'

/**
 * A signing key as tests see it.
 *
 * @example
 * ```ts
 * const { kid, alg, publicJwk } = server.keys.current
 * ```
 */
export interface KeyInfo {
  readonly kid: string
  readonly alg: SigningAlgorithm
  /** The public JWK as published: kty, kid, alg, use 'sig' and the public members. */
  readonly publicJwk: JWK
}

/**
 * The server's keys at this moment.
 *
 * @example
 * ```ts
 * const jwks = createLocalJWKSet(server.keys.jwks)
 * ```
 */
export interface AuthServerKeys {
  readonly current: KeyInfo
  /** The key the last rotation replaced (it may no longer be published). */
  readonly previous: KeyInfo | undefined
  /** The key set `GET /jwks` serves now. */
  readonly jwks: { keys: JWK[] }
}

/**
 * Options of {@link AuthServer.rotateKeys}.
 *
 * @example
 * ```ts
 * await server.rotateKeys({ dropPrevious: true, algorithm: 'ES256' })
 * ```
 */
export interface RotateKeysOptions {
  /** Stop publishing the replaced key at once, as after a key compromise. Default false. */
  dropPrevious?: boolean
  /** Algorithm of the new key. Default: the current key's. */
  algorithm?: SigningAlgorithm
}

/**
 * A running local authorization server. See {@link createAuthServer}.
 *
 * @example
 * ```ts
 * const server: AuthServer = await createAuthServer()
 * const token = await server.mint({ scope: 'orders:read' })
 * await server.close()
 * ```
 */
export interface AuthServer {
  /** `http://127.0.0.1:PORT` plus the issuer path; no trailing slash, except where a flavor's issuer has one. */
  readonly issuer: string
  readonly jwksUri: string
  readonly tokenEndpoint: string
  /** RFC 8414 metadata URL (path-inserted); with a flavor, its first metadata location. */
  readonly metadataUrl: string
  /** OpenID Connect discovery URL. */
  readonly openidConfigurationUrl: string
  readonly port: number
  /** The `aud` of tokens whose client and request name none. */
  readonly audience: string
  /** The provider this server imitates, if any. */
  readonly flavor: FlavorName | undefined
  /** The flavor's tenant (Entra tenant id, Okta server id, Cognito pool id, Keycloak realm, PingOne environment). */
  readonly tenant: string | undefined
  /** The metadata document both discovery URLs serve. */
  readonly metadata: Record<string, unknown>
  readonly keys: AuthServerKeys
  /** The standing fault of each endpoint, or null. */
  readonly faults: Readonly<Record<Endpoint, Fault | 'canned' | null>>
  /** Live, read-only request counts per endpoint. */
  readonly requests: RequestCounts
  /** Registers a client, or replaces the one with the same id. */
  addClient(client: RegisteredClient): void
  /** Forgets a client; returns whether it was registered. */
  removeClient(clientId: string): boolean
  /** Adds an active secret to a client: both the old and the new one authenticate until one is revoked. */
  addSecret(clientId: string, secret: string): void
  /** Stops one of a client's secrets from authenticating; returns whether it had it. */
  revokeSecret(clientId: string, secret: string): boolean
  /** Adds a public key (with a `kid`) to a `private_key_jwt` client, beside the ones it has. */
  addKey(clientId: string, key: JWK): void
  /** Stops a client's keys with this `kid` from verifying its assertions; returns whether it had any. */
  revokeKey(clientId: string, kid: string): boolean
  /** Signs any token; valid RFC 9068 by default. */
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>
  /** An unsecured token: `alg: none`, empty signature. */
  mintUnsigned(claims?: Record<string, unknown>, options?: Omit<MintOptions, 'alg' | 'key'>): Promise<string>
  /** An HS* token keyed with the current public key: the algorithm-confusion attack. */
  mintHmacWithPublicKey(claims?: Record<string, unknown>, options?: HmacConfusionOptions): Promise<string>
  /** Makes a new current key; returns it. */
  rotateKeys(options?: RotateKeysOptions): Promise<KeyInfo>
  /** Breaks an endpoint until set back to `null`: a fault name or a canned response. */
  setFault(endpoint: Endpoint, fault: Fault | CannedResponse | null, options?: FaultOptions): void
  /** Queues a one-shot answer for the next request to `endpoint`; queued answers win over faults. */
  queueResponse(endpoint: Endpoint, response: CannedResponse | Fault, options?: FaultOptions): void
  /** Clears every fault and queued response. */
  clearFaults(): void
  /** Sets every request counter back to 0. */
  resetCounters(): void
  /** The nonce DPoP proofs must carry now, with the `dpop.nonce` option; otherwise undefined. */
  readonly dpopNonce: string | undefined
  /** Issues a new DPoP nonce (the replaced one stays valid for proofs under way); needs `dpop.nonce`. */
  rotateDpopNonce(): string
  /** Closes the server and every open connection, hanging ones too. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts a local OAuth 2.0 authorization server for tests and local development: generated
 * keys, a JWKS endpoint, RFC 8414 and OpenID discovery, a client_credentials token endpoint
 * issuing RFC 9068 access tokens. Never for production: keys and secrets live in memory.
 *
 * @example
 * ```ts
 * const server = await createAuthServer({
 *   clients: [{ clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'] }],
 * })
 * const res = await fetch(server.tokenEndpoint, {
 *   method: 'POST',
 *   headers: { authorization: `Basic ${btoa('billing:s3cret')}` },
 *   body: new URLSearchParams({ grant_type: 'client_credentials' }),
 * })
 * await server.close()
 * ```
 */
export async function createAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const config = resolveOptions(options)
  const dpopOptions = DpopProofs.resolve(options.dpop)
  const mtls = options.tls === undefined ? undefined : await MutualTls.create(options.tls)
  const registry = new ClientRegistry()
  const register = (client: RegisteredClient) => {
    checkCertificateRegistration(validateClient(client), mtls)
    registry.add(client)
  }
  for (const client of config.clients) register(client)
  const keys = await KeyStore.create(config.algorithm, config.clock)
  const faults = new FaultBoard()
  const counters = new RequestCounters()
  const closing = new AbortController()

  // The port, and so every URL, is known only once listening; requests cannot arrive before
  // `listen` resolves, so the router is always set when one does.
  let router: ReturnType<typeof createRouter> | undefined
  const listener = await listen(
    (req, res) => (router as NonNullable<typeof router>)(req, res),
    config.host,
    config.port,
    { tls: mtls?.serverOptions, clock: config.clock },
  )
  const { flavor } = config
  const endpoints = flavor
    ? flavorEndpoints(listener.origin, flavor.layout)
    : endpointsFor(listener.origin, config.issuerPath)
  const mint: MintContext = {
    issuer: endpoints.issuer,
    audience: config.audience,
    tokenLifetime: config.tokenLifetime,
    clock: config.clock,
    keys,
    flavor,
  }
  const jwks = () => {
    const set = keys.jwks()
    const publish = flavor?.publishKey
    return publish ? { keys: set.keys.map((jwk) => publish(jwk, endpoints.issuer)) } : set
  }
  const assertions = new ClientAssertionVerifier({ ...endpoints, clock: config.clock })
  const dpop = new DpopProofs({ tokenEndpoint: endpoints.tokenEndpoint, clock: config.clock, ...dpopOptions })
  const metadata = () => ({
    ...buildMetadata(
      endpoints,
      registry.list().flatMap((client) => client.scopes),
    ),
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    ...mtls?.metadata(endpoints.tokenEndpoint),
  })
  router = createRouter({
    endpoints,
    faults,
    counters,
    closing: closing.signal,
    replies: {
      jwks: () => jsonReply(200, jwks(), { 'cache-control': `public, max-age=${config.jwksMaxAge}` }),
      metadata: () => jsonReply(200, metadata(), { 'cache-control': 'public, max-age=300' }),
      token: (req) => tokenReply(req, { registry, assertions, mint, dpop, mtls }),
    },
  })

  return {
    issuer: endpoints.issuer,
    jwksUri: endpoints.jwksUri,
    tokenEndpoint: endpoints.tokenEndpoint,
    metadataUrl: endpoints.oauthMetadataUrl,
    openidConfigurationUrl: endpoints.openidConfigurationUrl,
    port: listener.port,
    audience: config.audience,
    flavor: flavor?.name,
    tenant: flavor?.tenant,
    get metadata() {
      return metadata()
    },
    get keys() {
      return {
        current: keyInfo(keys.current),
        previous: keys.previous && keyInfo(keys.previous),
        jwks: jwks(),
      }
    },
    get faults() {
      return faults.view()
    },
    requests: counters.view,
    addClient: register,
    removeClient: (clientId) => registry.remove(clientId),
    addSecret: (clientId, secret) => registry.addSecret(clientId, secret),
    revokeSecret: (clientId, secret) => registry.revokeSecret(clientId, secret),
    addKey: (clientId, key) => registry.addKey(clientId, key),
    revokeKey: (clientId, kid) => registry.revokeKey(clientId, kid),
    mint: (claims, mintOptions) => mintToken(mint, claims, mintOptions),
    mintUnsigned: (claims, mintOptions) => mintToken(mint, claims, { ...mintOptions, alg: 'none' }),
    mintHmacWithPublicKey: (claims, mintOptions) => mintHmacWithPublicKey(mint, claims, mintOptions),
    async rotateKeys(rotateOptions = {}) {
      await keys.rotate({ retainFor: config.tokenLifetime, ...rotateOptions })
      return keyInfo(keys.current)
    },
    setFault: (endpoint, fault, faultOptions) => faults.set(endpoint, fault, faultOptions),
    queueResponse: (endpoint, response, faultOptions) => faults.queue(endpoint, response, faultOptions),
    clearFaults: () => faults.clear(),
    resetCounters: () => counters.reset(),
    get dpopNonce() {
      return dpop.nonce
    },
    rotateDpopNonce: () => dpop.rotateNonce(),
    close() {
      closing.abort()
      return listener.close()
    },
  }
}

function keyInfo(key: SigningKey): KeyInfo {
  return { kid: key.kid, alg: key.alg, publicJwk: { ...key.publicJwk } }
}
