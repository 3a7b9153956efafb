/**
 * The verifier: the one place that decides whether a token passes. Adapters
 * call it; every rule about tokens is in the modules it composes, in the order
 * a request meets them: request/immediate-answers.ts (a reused token, from the
 * cache), request/entry-points.ts (the header, then token/new-token.ts for a
 * token not seen before), policy/acceptance.ts (the route's requirement), and
 * observe/ (events, one per settled call).
 */
import { safeEmitter } from './events.js'
import { backgroundWorkOf, createKeySource, issuerKeyStatus, warmUpAll } from './issuers/key-sets.js'
import type { ResolvedProfile } from './issuers/profile.js'
import { IssuerIndex } from './issuers/select-profile.js'
import { Observer, registerObserver } from './observe/observer.js'
import { rejections } from './observe/rejections.js'
import { VerificationCalls } from './observe/verification-calls.js'
import type { VerifierOptions } from './options.js'
import { acceptance } from './policy/acceptance.js'
import { resolveBinding } from './policy/binding-options.js'
import { DeclaredRequirements } from './policy/declared-requirements.js'
import { resolveUsage, UsageRecorder, usageOff } from './policy/usage.js'
import { entryPoints } from './request/entry-points.js'
import { immediateAnswers } from './request/immediate-answers.js'
import { buildResourceMetadata } from './resource-metadata.js'
import { newTokenVerifier } from './token/new-token.js'
import { TokenCache } from './token/token-cache.js'
import type { Verifier } from './types.js'
import { resolveOptions } from './validate-options.js'

export type { Verifier } from './types.js'

/**
 * Creates a {@link Verifier}. Throws a TypeError naming the option if the
 * options are invalid.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://orders.example.com' })
 * const auth = await verifier.authenticate(req.headers.authorization, { scopes: ['orders:read'] })
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = resolveOptions(options)
  const { realm, clock, maxTokenLength } = config
  const observer = new Observer(safeEmitter(config.onEvent))
  const { emit } = observer
  const usageSize = resolveUsage(options.usage)
  const usage = usageSize === undefined ? undefined : new UsageRecorder(usageSize)
  const profiles: ResolvedProfile[] = config.profiles.map((profile) => ({
    ...profile,
    keys: createKeySource(profile, config, emit),
  }))
  const cache = config.tokenCacheSize > 0 ? new TokenCache(config.tokenCacheSize) : undefined
  const newTokens = newTokenVerifier(new IssuerIndex(profiles, realm), realm, cache, observer)
  // Each entry point reports its settled call once (`m2m-guard:verification`).
  const calls = new VerificationCalls(observer, (auth) => newTokens.profileOf(auth)?.id)
  const requirements = new DeclaredRequirements(
    new Set(profiles.flatMap((p) => [...p.issuers, ...p.templates.map((t) => t.template)])),
  )
  const binding = resolveBinding(options.dpop, options.mtls, {
    clock,
    // Profiles may each loosen their own; a proof's window uses the top-level value.
    clockTolerance: typeof options.clockTolerance === 'number' ? options.clockTolerance : 5,
    onEvent: emit,
  })
  const refusals = rejections({
    realm,
    binding,
    metadataUrl: config.resourceMetadata?.url,
    observer,
    emit,
    profileOf: (auth) => newTokens.profileOf(auth),
  })
  const accepting = acceptance({
    realm,
    binding,
    requirements,
    usage,
    calls,
    clock,
    rejected: refusals.rejected,
  })
  const { owns } = newTokens
  const immediate = immediateAnswers({
    cache,
    observer,
    clock,
    realm,
    bindingEnabled: binding.enabled,
    accept: accepting.accept,
    owns,
  })
  const full = entryPoints({
    realm,
    maxTokenLength,
    clock,
    cache,
    observer,
    binding,
    newTokens,
    immediate,
    acceptance: accepting,
    rejections: refusals,
  })

  const verifier: Verifier = {
    verify: calls.observed(full.verify),
    authenticate: calls.observed(full.authenticate, immediate.authenticate),
    authenticateRequest: calls.observed(full.authenticateRequest, immediate.authenticateRequest),
    check: (auth, requirement) => accepting.check(auth, requirement),
    authorize: calls.observed(full.authorize, immediate.authorize),
    owns,
    declare: (requirement) => requirements.declare(requirement),
    warmUp: () => warmUpAll(profiles),
    keyStatus: () => issuerKeyStatus(profiles),
    backgroundWork: () => backgroundWorkOf(profiles),
    resourceMetadata: () =>
      config.resourceMetadata === undefined
        ? undefined
        : buildResourceMetadata(config.resourceMetadata, {
            authorizationServers: profiles.flatMap((profile) => profile.issuers),
            declaredScopes: requirements.scopes,
            dpop:
              binding.dpop === undefined
                ? undefined
                : { algorithms: binding.schemes.dpopAlgs?.split(' ') ?? [], required: binding.dpop.required },
            mtls: binding.mtls !== undefined,
          }),
    usage: () => usage?.report() ?? usageOff(),
  }
  registerObserver(verifier, observer)
  return verifier
}
