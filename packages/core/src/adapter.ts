/**
 * @m2m-guard/core/adapter: what framework adapters share, kept off the main
 * entry so that users see only what they call. An adapter parses its options
 * with {@link resolveGuardOptions}, then translates each request into a
 * `verifier.authorize()` call (with {@link requestInfo}: method, URL,
 * headers, TLS peer certificate) and each `AuthError` into a response; a
 * successful DPoP response carries {@link dpopNonceFor}'s nonce, if any; and
 * as each request ends, {@link handOffBackgroundWork} hands what the verifier
 * left running to a Worker's `ctx.waitUntil`.
 *
 * @example
 * import { resolveGuardOptions } from '@m2m-guard/core/adapter'
 * const { verifier, onError } = resolveGuardOptions(options, ['respond', 'next'])
 * const auth = await verifier.authorize(req.headers.authorization, requirement, req.auth)
 */
export { handOffBackgroundWork } from './adapter/background-work.js'
export { declareRequirement, isVerifier, resolveGuardOptions } from './adapter/guard-options.js'
export { type MetadataRoute, requiredMetadataRoute, resourceMetadataRoute } from './adapter/metadata-route.js'
export {
  firstForwarded,
  peerCertificate,
  type RequestSource,
  requestInfo,
  requestUrl,
} from './adapter/request-info.js'
export { withResponseHeader } from './adapter/response-header.js'
export { dpopNonceFor } from './request/dpop-nonce.js'
export type { RequestHeaders, RequestInfo } from './request/request-info.js'
