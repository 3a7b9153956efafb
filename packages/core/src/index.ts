/**
 * @m2m-guard/core: verifies OAuth 2.0 client-credentials access tokens (JWT)
 * and checks per-route requirements. Imports no web framework.
 *
 * @example
 * import { createVerifier } from '@m2m-guard/core'
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const auth = await verifier.authenticate(request.headers.authorization, { scopes: ['orders:read'] })
 */

export { isVerifier, resolveGuardOptions } from './adapter/guard-options.js'
export { type ChallengeParams, type ChallengeScheme, formatChallenge } from './challenge.js'
export {
  AuthError,
  type AuthErrorBody,
  type AuthErrorCode,
  type AuthErrorReason,
  type BearerErrorCode,
  type DpopErrorCode,
  InsufficientScopeError,
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  KeysUnavailableError,
  MissingTokenError,
  ReplayStoreUnavailableError,
  UseDpopNonceError,
} from './errors.js'
export type { EventHandler, KeyFetchTrigger, VerifierEvent } from './events.js'
export { type Auth0Options, auth0 } from './issuers/auth0.js'
export { type CognitoOptions, cognito } from './issuers/cognito.js'
export { type EntraOptions, entra, GRAPH_TOKEN_DESCRIPTION } from './issuers/entra.js'
export { type KeycloakOptions, keycloak } from './issuers/keycloak.js'
export { type OktaOptions, okta } from './issuers/okta.js'
export { type PingOneOptions, pingone } from './issuers/pingone.js'
export type { PresetProfile } from './issuers/preset-arguments.js'
export type { IssuerProfile, IssuerSettings, RequiredClaimValue } from './issuers/profile.js'
export type { IssuerKeyStatus, KeySetStatus, VerifierKeyStatus } from './keys/key-source.js'
export type { KeyStore, StoredKeySet } from './keys/key-store.js'
export {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  type JwksCacheOptions,
  type MultiIssuerOptions,
  type SharedVerifierOptions,
  type SingleIssuerOptions,
  type VerifierOptions,
} from './options.js'
export type { Binding } from './policy/binding.js'
export type { BindingFailureReason } from './policy/binding-failure.js'
export type { DpopOptions, MtlsOptions } from './policy/binding-options.js'
export { type Requirement, validateRequirement } from './policy/requirement.js'
export type { ClientUsage, UsageOption, UsageReport } from './policy/usage.js'
export type { CertificateSource, ClientCertificate } from './request/client-certificate.js'
export {
  createMemoryReplayStore,
  type MemoryReplayStoreOptions,
  type ReplayStore,
  ReplayStoreFullError,
} from './request/dpop-replay-store.js'
export { extractBearerToken } from './request/extract-token.js'
export type { RequestHeaders, RequestInfo } from './request/request-info.js'
export {
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ResourceMetadataOptions,
} from './resource-metadata.js'
export type { AuthResult } from './types.js'
export { createVerifier, type Verifier } from './verifier.js'
