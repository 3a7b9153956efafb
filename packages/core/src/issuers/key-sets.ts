/**
 * One key set per issuer profile, so that the keys of one issuer never
 * verify another issuer's tokens; and the verifier-wide views of them:
 * `warmUp()` for every issuer at once, `keyStatus()` saying which is not ready,
 * `backgroundWork()` for the fetches a response may outlive.
 */
import { KeysUnavailableError } from '../errors.js'
import type { EventHandler } from '../events.js'
import {
  type IssuerKeyStatus,
  type KeySource,
  LocalKeySet,
  type VerifierKeyStatus,
} from '../keys/key-source.js'
import { parseJwks } from '../keys/parse-jwks.js'
import { RemoteKeySet } from '../keys/remote-key-set.js'
import type { ResolvedOptions } from '../options.js'
import type { ProfileConfig, ResolvedProfile } from './profile.js'

/** The key set of `profile`: local (its `jwks`) or remote (its `jwksUri`, or discovered). */
export function createKeySource(
  profile: ProfileConfig,
  shared: ResolvedOptions,
  emit: EventHandler | undefined,
): KeySource {
  if (profile.jwks === undefined) {
    return new RemoteKeySet(
      {
        issuer: profile.id,
        discoveryIssuer: profile.jwksUri === undefined ? profile.issuers[0] : undefined,
        jwksUri: profile.jwksUri,
        algorithms: profile.algorithms,
        jwksCache: shared.jwksCache,
        fetch: shared.fetch,
        allowInsecureHttp: shared.allowInsecureHttp,
        clock: shared.clock,
        keyStore: shared.keyStore,
      },
      emit,
    )
  }
  const label = profile.where === undefined ? '"jwks" option' : `${profile.where}: "jwks"`
  let parsed: ReturnType<typeof parseJwks>
  try {
    parsed = parseJwks(profile.jwks, {
      algorithms: new Set(profile.algorithms),
      maxKeys: shared.jwksCache.maxKeys,
    })
  } catch (error) {
    throw new TypeError(`${label}: ${(error as Error).message}`)
  }
  if (parsed.keys.length === 0) {
    const reasons = parsed.skipped.map(({ kid, why }) => `${kid ?? '(no kid)'}: ${why}`).join('; ')
    throw new TypeError(`${label} has no usable signing key${reasons === '' ? '' : ` (${reasons})`}`)
  }
  for (const { kid, why } of parsed.skipped) emit?.({ type: 'key_skipped', issuer: profile.id, kid, why })
  return new LocalKeySet(parsed.keys)
}

/** Fetches every remote key set now; rejects naming the issuers whose keys cannot be had. */
export async function warmUpAll(profiles: readonly ResolvedProfile[]): Promise<void> {
  if (profiles.length === 1) return (profiles[0] as ResolvedProfile).keys.warmUp()
  const outcomes = await Promise.allSettled(profiles.map((profile) => profile.keys.warmUp()))
  const failed = profiles.flatMap((profile, i) => {
    const outcome = outcomes[i] as PromiseSettledResult<void>
    return outcome.status === 'rejected' ? [{ profile, error: outcome.reason as unknown }] : []
  })
  if (failed.length === 0) return
  const retryAfter = Math.min(
    ...failed.map(({ error }) => (error instanceof KeysUnavailableError ? (error.retryAfter ?? 1) : 1)),
  )
  throw new KeysUnavailableError({
    description: 'signing keys are temporarily unavailable',
    message: `signing keys are unavailable for ${failed
      .map(({ profile, error }) => `${profile.id} (${(error as Error).message})`)
      .join('; ')}`,
    retryAfter,
    cause: new AggregateError(failed.map(({ error }) => error)),
  })
}

/**
 * A promise that fulfils once every key fetch now in flight, of every issuer,
 * has settled (it never rejects: failures are the fetches' own events);
 * undefined when none is, without allocating anything.
 */
export function backgroundWorkOf(profiles: readonly ResolvedProfile[]): Promise<void> | undefined {
  let first: Promise<void> | undefined
  let all: Promise<void>[] | undefined
  for (const profile of profiles) {
    const work = profile.keys.backgroundWork()
    if (work === undefined) continue
    if (first === undefined) first = work
    else if (all === undefined) all = [first, work]
    else all.push(work)
  }
  if (first === undefined) return undefined
  return (all === undefined ? first : Promise.allSettled(all)).then(settled, settled)
}

function settled(): void {}

/** Every issuer's key status, and their sum: ready only if every issuer is. */
export function issuerKeyStatus(profiles: readonly ResolvedProfile[]): VerifierKeyStatus {
  const issuers: IssuerKeyStatus[] = profiles.map((profile) => ({
    issuer: profile.id,
    ...profile.keys.status(),
  }))
  const only = issuers.length === 1 ? issuers[0] : undefined
  const defined = (values: (number | undefined)[]) => values.filter((value) => value !== undefined)
  const fetchedAt = defined(issuers.map((status) => status.fetchedAt))
  const freshUntil = defined(issuers.map((status) => status.freshUntil))
  const errors = issuers.filter((status) => status.lastError !== undefined)
  return {
    ready: issuers.every((status) => status.ready),
    fresh: issuers.every((status) => status.fresh),
    keyCount: issuers.reduce((sum, status) => sum + status.keyCount, 0),
    // The oldest fetch and the earliest expiry: what a probe should worry about first.
    fetchedAt:
      fetchedAt.length === issuers.length && fetchedAt.length > 0 ? Math.min(...fetchedAt) : undefined,
    freshUntil: freshUntil.length > 0 ? Math.min(...freshUntil) : undefined,
    lastError:
      only !== undefined
        ? only.lastError
        : errors.length === 0
          ? undefined
          : errors.map((status) => `${status.issuer}: ${status.lastError}`).join('; '),
    jwksUri: only?.jwksUri,
    issuers,
    notReady: issuers.filter((status) => !status.ready).map((status) => status.issuer),
  }
}
