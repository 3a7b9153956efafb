export {
  type CertificateAndKey,
  type ClientCertificate,
  createTestCertificates,
  type IssueOptions,
  type TestCertificates,
} from './certificates.js'
export { CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME } from './client-assertion.js'
export type { ClientAuthMethod } from './client-auth.js'
export { DPOP_ALGORITHMS, DPOP_PROOF_MAX_AGE, type DpopOptions } from './dpop.js'
export type { CannedResponse, Endpoint, Fault, FaultOptions } from './faults.js'
export type { FlavorName } from './flavors/shape.js'
export { FLAVOR_NAMES } from './flavors/table.js'
export type { PublicKeyFormat, SigningKeyInput } from './jws-sign.js'
export type { HmacConfusionOptions, MintOptions } from './mint.js'
export type { AuthServerOptions, RegisteredClient, SigningAlgorithm } from './options.js'
export type { RequestCounts } from './request-counters.js'
export type { AuthServer, AuthServerKeys, KeyInfo, RotateKeysOptions } from './server.js'
export { createAuthServer } from './server.js'
export { certificateThumbprint, type TlsClientAuth, type TlsOptions } from './tls.js'
