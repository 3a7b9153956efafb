import type { JWTHeaderParameters, JWTPayload } from 'jose'
import type { VerifierKeyStatus } from './keys/key-source.js'
import type { Binding } from './policy/binding.js'
import type { Requirement } from './policy/requirement.js'
import type { UsageReport } from './policy/usage.js'
import type { RequestInfo } from './request/request-info.js'
import type { ProtectedResourceMetadata } from './resource-metadata.js'

/**
 * The outcome of a successful verification. Frozen: the same object may be
 * served from the verified-token cache to many requests.
 *
 * @example
 * const auth: AuthResult = await verifier.verify(token)
 * auth.issuer   // 'https://auth.example.com'
 * auth.clientId // 'billing'
 * auth.scopes   // ['orders:read']
 */
export interface AuthResult {
  /** The token's `iss`: the issuer that signed it (with a `{tenantid}` issuer, the tenant's own). */
  readonly issuer: string
  /** The first present claim of the issuer profile's `clientIdClaims` (`client_id`, then `azp`). */
  readonly clientId: string | undefined
  /** Granted scopes: the union of the issuer profile's `scopeClaims` (`scope`, `scp`). */
  readonly scopes: readonly string[]
  /** The verified claims. */
  readonly payload: Readonly<JWTPayload>
  /** The protected header. */
  readonly header: Readonly<JWTHeaderParameters>
  /** The raw token. */
  readonly token: string
  /**
   * How the token is bound to its client, as the request proved: the DPoP
   * key's thumbprint (`cnf.jkt`) or the client certificate's (`cnf["x5t#S256"]`);
   * undefined for a bearer token.
   */
  readonly binding: Binding
}

/** Verifies access tokens and checks requirements. Create one per API (one or several issuers), and share it. */
export interface Verifier {
  /** Verifies a raw token and, if given, checks a requirement. Rejects with an {@link AuthError}. */
  verify(token: string, requirement?: Requirement): Promise<AuthResult>
  /**
   * Same, from an Authorization header value (scheme `Bearer`, case-insensitive).
   * Bound tokens (`cnf`) need the request to prove possession: use `authenticateRequest`.
   */
  authenticate(authorization: string | undefined, requirement?: Requirement): Promise<AuthResult>
  /**
   * Same, from the whole request: what DPoP-bound and certificate-bound
   * tokens need (method, URL, `DPoP` header, client certificate). Adapters call this.
   */
  authenticateRequest(request: RequestInfo, requirement?: Requirement): Promise<AuthResult>
  /** Checks a requirement against an already verified result. Throws an {@link AuthError}. */
  check(auth: AuthResult, requirement: Requirement): void
  /**
   * For adapters: if `current` is a result this verifier produced (an earlier
   * guard on the same request), only checks `requirement`; otherwise
   * authenticates the request (a `RequestInfo`, or just its Authorization
   * header value) and checks it.
   */
  authorize(
    request: RequestInfo | string | undefined,
    requirement?: Requirement,
    current?: unknown,
  ): Promise<AuthResult>
  /** True if `auth` was produced by this verifier. */
  owns(auth: unknown): auth is AuthResult
  /**
   * For adapters, when a route declares `requirement` (at start-up): throws a
   * TypeError if it is malformed or names an issuer this verifier does not
   * accept.
   */
  declare(requirement?: Requirement): void
  /**
   * Fetches every issuer's keys now, so the first request does not wait.
   * Rejects (a `KeysUnavailableError` naming the issuers) if some cannot be had.
   */
  warmUp(): Promise<void>
  /** The key sets' state, for readiness probes: overall, and per issuer (`issuers`, `notReady`). */
  keyStatus(): VerifierKeyStatus
  /**
   * The work this verifier has left running, for runtimes that cancel what a
   * request leaves running once its response is sent (Cloudflare Workers),
   * to hand to `ctx.waitUntil`: today, key fetches in flight, such as the
   * background refresh that keys past their max-age start while they keep
   * serving. Undefined when there is none (the common case); otherwise a
   * promise that fulfils, never rejects, once every issuer's fetch in flight
   * has settled. Without it, a Worker's background refreshes are cancelled,
   * and keys (a key the issuer removed too) stay in use until `staleIfError`
   * runs out. The fetch and Hono adapters hand it over themselves; call it
   * after `verify`, `authenticate` or `authenticateRequest` of your own.
   *
   * @example
   * export default {
   *   async fetch(request: Request, env: unknown, ctx: ExecutionContext) {
   *     try {
   *       const auth = await verifier.authenticate(request.headers.get('authorization') ?? undefined)
   *       return Response.json({ client: auth.clientId })
   *     } catch (error) {
   *       if (error instanceof AuthError) return Response.json(error.body, { status: error.status, headers: error.headers })
   *       throw error
   *     } finally {
   *       const work = verifier.backgroundWork()
   *       if (work) ctx.waitUntil(work)
   *     }
   *   },
   * }
   */
  backgroundWork(): Promise<void> | undefined
  /**
   * The RFC 9728 protected resource metadata document, when the
   * `resourceMetadata` option is set; its well-known URL is
   * `protectedResourceMetadataUrl(document.resource)`.
   */
  resourceMetadata(): ProtectedResourceMetadata | undefined
  /** Which clients used which scopes, when the `usage` option is on (else `enabled: false`). */
  usage(): UsageReport
}
