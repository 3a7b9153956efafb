export type { CredentialSource } from './credential-source.js'
export type { DpopOptions } from './dpop-key.js'
export { TokenRequestError, type TokenRequestErrorDetails, type TokenRequestFailure } from './errors.js'
export type {
  CredentialRereadEvent,
  StoreErrorEvent,
  StoreFallbackEvent,
  TokenClientEvent,
  TokenFetchedEvent,
  TokenRenewedEvent,
  TokenRequestFailedEvent,
} from './events.js'
export type { AuthorizedFetch } from './fetch-with-token.js'
export { CLIENT_CHANNEL } from './observe-client.js'
export {
  type AuthMethod,
  type BaseTokenClientOptions,
  DEFAULTS,
  type PrivateKeyClientOptions,
  type RetryOptions,
  type SecretClientOptions,
  type TlsClientAuthOptions,
  type TokenClientOptions,
} from './options.js'
export type { PrivateKey } from './signing-key.js'
export type { TlsClientOptions } from './tls-client.js'
export { createTokenClient, type TokenClient } from './token-client.js'
export type { StoredToken, TokenLock, TokenStore, TokenStoreOptions } from './token-store.js'
