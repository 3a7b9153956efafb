/**
 * @m2m-guard/core/observe: for instrumentation packages such as
 * `@m2m-guard/otel`, kept off the main entry. Attach to a verifier created
 * elsewhere with {@link observeVerifier}, or subscribe without any import to
 * the `node:diagnostics_channel` channels named in {@link CHANNELS}.
 *
 * @example
 * import { observeVerifier } from '@m2m-guard/core/observe'
 * const stop = observeVerifier(verifier, (event) => console.log(event.type))
 */
export {
  CHANNELS,
  type ObservedEvent,
  type ObservedEventListener,
  observeVerifier,
  type VerificationEvent,
} from './observe/observer.js'
