import type { JWTHeaderParameters, JWTPayload } from 'jose'

/**
 * The outcome of a successful verification. Frozen: the same object may be
 * served from the verified-token cache to many requests.
 *
 * @example
 * const auth: AuthResult = await verifier.verify(token)
 * auth.clientId // 'billing'
 * auth.scopes   // ['orders:read']
 */
export interface AuthResult {
  /** The first present claim of `clientIdClaims` (`client_id`, then `azp`). */
  readonly clientId: string | undefined
  /** Granted scopes, from `scope` (space-delimited) or `scp`. */
  readonly scopes: readonly string[]
  /** The verified claims. */
  readonly payload: Readonly<JWTPayload>
  /** The protected header. */
  readonly header: Readonly<JWTHeaderParameters>
  /** The raw token. */
  readonly token: string
}
