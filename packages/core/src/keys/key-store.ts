/**
 * The `keyStore` option: somewhere outside the process to keep a fetched key
 * set, so that the next invocation of a serverless function (a new Worker
 * isolate, a Lambda cold start) starts with keys instead of a fetch. Workers
 * KV, a file, Redis: anything with `get` and `set`.
 *
 * The store is trusted as configuration is: whoever can write it can make the
 * API accept their tokens, so it must be writable only by your own code.
 * What comes back is still validated like a fetched key set, and a store that
 * fails, hangs or returns garbage only costs a fetch, never a request.
 */
import type { JSONWebKeySet } from 'jose'
import type { EventHandler } from '../events.js'
import { checkUrlPolicy } from './url-policy.js'

/**
 * A key set as stored: the JWKS as the issuer served it, where it came from,
 * and when it was fetched and stops being fresh (ms since the epoch, by the
 * verifier's clock). Plain JSON, so a store may serialize it as it likes.
 *
 * @example
 * const stored: StoredKeySet = { jwks: { keys: [] }, jwksUri: 'https://auth.example.com/jwks', fetchedAt: 0, freshUntil: 600_000 }
 */
export interface StoredKeySet {
  jwks: JSONWebKeySet
  jwksUri: string
  fetchedAt: number
  freshUntil: number
}

/**
 * Where key sets are kept between invocations, by the key set's URI (the
 * `jwksUri`, or the issuer when keys are discovered). Either method may be
 * async; `get` answers `undefined` (or `null`) for nothing stored.
 *
 * @example
 * import { env } from 'cloudflare:workers'
 * const keyStore: KeyStore = {
 *   get: (uri) => env.JWKS.get(uri, 'json'),
 *   set: (uri, keySet) => env.JWKS.put(uri, JSON.stringify(keySet), { expirationTtl: 86_400 }),
 * }
 */
export interface KeyStore {
  get(uri: string): StoredKeySet | null | undefined | Promise<StoredKeySet | null | undefined>
  set(uri: string, keySet: StoredKeySet): unknown
}

/** Returns the `keyStore` option, or throws a TypeError naming it. */
export function validateKeyStore(value: unknown): KeyStore | undefined {
  if (value === undefined) return undefined
  const store = value as Partial<KeyStore> | null
  if (typeof store?.get !== 'function' || typeof store.set !== 'function') {
    throw new TypeError('"keyStore" option must have get(uri) and set(uri, keySet) functions')
  }
  return store as KeyStore
}

/** Runs `operation`, or fails after `timeout` ms: a hanging store must not hold a request. */
export async function withinTimeout<T>(operation: () => T | Promise<T>, timeout: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`key store did not answer within ${timeout} ms`)), timeout)
  })
  try {
    return await Promise.race([Promise.resolve().then(operation), timedOut])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The stored key set, if it has the right shape and is neither from the
 * future nor past `usableFor` ms after it stopped being fresh; else why not.
 */
export function checkStoredKeySet(
  value: unknown,
  now: number,
  usableFor: number,
): { stored: StoredKeySet } | { refused: string } {
  if (value === undefined || value === null) return { refused: 'nothing stored' }
  const stored = value as Partial<StoredKeySet>
  const { jwks, jwksUri, fetchedAt, freshUntil } = stored
  if (
    typeof jwks !== 'object' ||
    jwks === null ||
    typeof jwksUri !== 'string' ||
    !Number.isFinite(fetchedAt) ||
    !Number.isFinite(freshUntil)
  ) {
    return { refused: 'stored value is not a key set from m2m-guard' }
  }
  if ((fetchedAt as number) > now || (freshUntil as number) < (fetchedAt as number)) {
    return { refused: 'stored key set has impossible times' }
  }
  if (now >= (freshUntil as number) + usableFor) return { refused: 'stored key set is too old' }
  return { stored: stored as StoredKeySet }
}

/** What restoring and saving need to know about the key set they serve. */
export interface KeyStoreContext {
  readonly store: KeyStore
  /** The store's key: the `jwksUri`, or the issuer whose keys are discovered. */
  readonly uri: string
  /** The configured `jwksUri`: a stored set from elsewhere is refused. */
  readonly jwksUri: URL | undefined
  readonly timeout: number
  readonly allowInsecureHttp: boolean
  /** Reports a store that failed or answered something unusable; never throws. */
  readonly report: (operation: 'get' | 'set', error: string) => void
}

/** The store's view of one remote key set (see RemoteKeySetOptions), or undefined without a store. */
export function keyStoreContext(
  options: {
    keyStore?: KeyStore | undefined
    issuer: string
    discoveryIssuer: string | undefined
    jwksUri: URL | undefined
    jwksCache: { timeout: number }
    allowInsecureHttp: boolean
  },
  emit: EventHandler | undefined,
): KeyStoreContext | undefined {
  const { keyStore: store, issuer, jwksUri } = options
  if (store === undefined) return undefined
  return {
    store,
    uri: jwksUri?.href ?? options.discoveryIssuer ?? issuer,
    jwksUri,
    timeout: options.jwksCache.timeout,
    allowInsecureHttp: options.allowInsecureHttp,
    report: (operation, error) => emit?.({ type: 'key_store_failed', issuer, operation, error }),
  }
}

/** A stored key set that passed every check: its JWKS still to be parsed as a fetched one is. */
export interface RestoredKeySet {
  readonly jwks: unknown
  readonly jwksUri: URL
  readonly fetchedAt: number
  readonly freshUntil: number
}

/**
 * The stored key set, if the store answers in time with one that is usable
 * `now` (within `usableFor` ms of its freshness) and comes from an allowed
 * URL; otherwise undefined, reported.
 */
export async function restoreKeySet(
  context: KeyStoreContext,
  now: number,
  usableFor: number,
): Promise<RestoredKeySet | undefined> {
  let value: unknown
  try {
    value = await withinTimeout(() => context.store.get(context.uri), context.timeout)
  } catch (error) {
    context.report('get', (error as Error)?.message ?? String(error))
    return undefined
  }
  let checked: ReturnType<typeof checkStoredKeySet>
  try {
    checked = checkStoredKeySet(value, now, usableFor)
  } catch (error) {
    // A value whose getters throw (a class instance or a Proxy from a custom store).
    context.report('get', `stored value could not be read: ${(error as Error)?.message ?? String(error)}`)
    return undefined
  }
  if ('refused' in checked) {
    if (value !== undefined && value !== null) context.report('get', checked.refused)
    return undefined
  }
  const { jwks, fetchedAt, freshUntil } = checked.stored
  let jwksUri: URL
  try {
    jwksUri = new URL(checked.stored.jwksUri)
    checkUrlPolicy('stored key set URI', jwksUri, context.allowInsecureHttp)
  } catch (error) {
    context.report('get', (error as Error).message)
    return undefined
  }
  if (context.jwksUri !== undefined && jwksUri.href !== context.jwksUri.href) {
    context.report('get', `stored key set comes from ${jwksUri.href}, not the configured "jwksUri"`)
    return undefined
  }
  return { jwks, jwksUri, fetchedAt, freshUntil }
}

/** Stores a freshly fetched key set; a store that fails or hangs is reported, never thrown. */
export async function saveKeySet(context: KeyStoreContext, keySet: StoredKeySet): Promise<void> {
  try {
    await withinTimeout(() => context.store.set(context.uri, keySet), context.timeout)
  } catch (error) {
    context.report('set', (error as Error)?.message ?? String(error))
  }
}
