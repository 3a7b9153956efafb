import type { JWTHeaderParameters, JWTPayload } from 'jose'
import type { Binding } from './policy/binding.js'

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
