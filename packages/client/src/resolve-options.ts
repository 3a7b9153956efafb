import { type CredentialReader, credentialReader } from './credential-source.js'
import { type DpopKey, resolveDpopKey } from './dpop-key.js'
import { createEmitter, type TokenClientEvent } from './events.js'
import { type AuthMethod, DEFAULTS, type TokenClientOptions } from './options.js'
import { resolveSigningKey, type SigningKey } from './signing-key.js'
import { fetchWithCertificate, type ResolvedTls, resolveTls } from './tls-client.js'
import type { TokenStore } from './token-store.js'

/**
 * How the client proves who it is, validated.
 *
 * @example
 * ```ts
 * const credentials: Credentials = { method: 'client_secret_post', clientId: 'billing', secret: 's3cr3t' }
 * ```
 */
export type Credentials =
  | {
      method: 'client_secret_basic' | 'client_secret_post'
      clientId: string
      secret: CredentialReader<string>
    }
  | { method: 'private_key_jwt'; clientId: string; signingKey: CredentialReader<SigningKey> }
  | { method: 'tls_client_auth' | 'self_signed_tls_client_auth'; clientId: string }

/**
 * The retry policy with every default filled in.
 *
 * @example
 * ```ts
 * const policy: RetryPolicy = { retries: 3, minDelay: 100, maxDelay: 10_000, maxElapsed: 30_000 }
 * ```
 */
export interface RetryPolicy {
  retries: number
  minDelay: number
  maxDelay: number
  maxElapsed: number
}

/**
 * Options after validation, with defaults applied. Internal.
 *
 * @example
 * ```ts
 * const resolved: ResolvedOptions = resolveOptions({ tokenEndpoint, clientId, clientSecret })
 * ```
 */
export interface ResolvedOptions {
  endpoint: { tokenEndpoint: string } | { issuer: string }
  credentials: Credentials
  /** Extra token request parameters: scope, audience, resource. */
  params: Array<[string, string]>
  renewBefore: number
  defaultLifetime: number
  retry: RetryPolicy
  timeout: number
  maxResponseSize: number
  fetch: typeof globalThis.fetch
  clock: () => number
  sleep: ((ms: number) => Promise<void>) | undefined
  emit: (event: TokenClientEvent) => void
  dpop: DpopKey | undefined
  tls: ResolvedTls | undefined
  store: { store: TokenStore; timeout: number; lockTtl: number; maxWait: number } | undefined
}

const AUTH_METHODS: readonly AuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
]
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function invalid(name: string, requirement: string): never {
  throw new TypeError(`"${name}" option ${requirement}`)
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(name, 'must be a non-empty string')
  return value
}

function duration(value: unknown, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    invalid(name, `must be a ${allowZero ? 'non-negative' : 'positive'} finite number`)
  }
  return value
}

function httpUrl(value: unknown, name: string): string {
  const text = value instanceof URL ? value.href : nonEmptyString(value, name)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return invalid(name, 'must be an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(name, 'must be an http: or https: URL')
  if (url.hash !== '') invalid(name, 'must not have a fragment')
  return url.href
}

function endpoint(options: TokenClientOptions): ResolvedOptions['endpoint'] {
  const { tokenEndpoint, issuer } = options
  if ((tokenEndpoint === undefined) === (issuer === undefined)) {
    invalid('tokenEndpoint', 'or the "issuer" option is required, and only one of them')
  }
  if (tokenEndpoint !== undefined) return { tokenEndpoint: httpUrl(tokenEndpoint, 'tokenEndpoint') }
  if (new URL(httpUrl(issuer, 'issuer')).search !== '')
    invalid('issuer', 'must not have a query (RFC 8414 §2)')
  // Compared verbatim with the metadata's `issuer` (RFC 8414 §3.3), so keep exactly what was given.
  return { issuer: issuer as string }
}

function credentials(options: TokenClientOptions, timeout: number): Credentials {
  const clientId = nonEmptyString(options.clientId, 'clientId')
  const method =
    options.authMethod ?? (options.privateKey === undefined ? 'client_secret_basic' : 'private_key_jwt')
  if (!AUTH_METHODS.includes(method)) invalid('authMethod', `must be one of ${AUTH_METHODS.join(', ')}`)
  if (method === 'tls_client_auth' || method === 'self_signed_tls_client_auth') {
    if (options.tls === undefined) invalid('tls', `is required with ${method}`)
    // Over plain HTTP no certificate is ever presented: the server could only refuse the client.
    const where = options.tokenEndpoint ?? options.issuer
    if (where !== undefined && String(where).startsWith('http:')) {
      invalid(
        options.tokenEndpoint === undefined ? 'issuer' : 'tokenEndpoint',
        `must be https: with ${method}`,
      )
    }
    if (options.clientSecret !== undefined) invalid('clientSecret', `must not be set with ${method}`)
    if (options.privateKey !== undefined) invalid('privateKey', `must not be set with ${method}`)
    return { method, clientId }
  }
  if (method === 'private_key_jwt') {
    if (options.clientSecret !== undefined) invalid('clientSecret', 'must not be set with private_key_jwt')
    if (options.privateKey === undefined) invalid('privateKey', 'is required with private_key_jwt')
    const algorithm =
      options.algorithm === undefined ? undefined : nonEmptyString(options.algorithm, 'algorithm')
    const keyId = options.keyId === undefined ? undefined : nonEmptyString(options.keyId, 'keyId')
    const signingKey = credentialReader(
      options.privateKey,
      'privateKey',
      (key) => resolveSigningKey(key, algorithm, keyId),
      timeout,
    )
    return { method, clientId, signingKey }
  }
  if (options.privateKey !== undefined) invalid('privateKey', `must not be set with ${method}`)
  const secret = credentialReader(
    options.clientSecret,
    'clientSecret',
    (value) => nonEmptyString(value, 'clientSecret'),
    timeout,
  )
  return { method, clientId, secret }
}

function list(value: unknown, name: string): readonly unknown[] | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value
  return invalid(name, 'must be a string or an array of strings')
}

function params(options: TokenClientOptions): Array<[string, string]> {
  const result: Array<[string, string]> = []
  const scopes = (list(options.scope, 'scope') ?? []).flatMap((entry) => {
    if (typeof entry !== 'string') invalid('scope', 'must be a string or an array of strings')
    return entry.split(' ').filter((token) => token !== '')
  })
  for (const token of scopes) {
    if (!SCOPE_TOKEN.test(token))
      invalid('scope', `contains an invalid scope token "${token}" (RFC 6749 §3.3)`)
  }
  if (scopes.length > 0) result.push(['scope', [...new Set(scopes)].join(' ')])
  if (options.audience !== undefined) result.push(['audience', nonEmptyString(options.audience, 'audience')])
  for (const resource of list(options.resource, 'resource') ?? []) {
    result.push(['resource', absoluteUri(resource)])
  }
  return result
}

// RFC 8707 §2: an absolute URI without a fragment; not necessarily http(s).
function absoluteUri(value: unknown): string {
  const text = nonEmptyString(value, 'resource')
  if (!URL.canParse(text) || text.includes('#'))
    invalid('resource', 'must be absolute URIs without a fragment')
  return text
}

function retry(value: TokenClientOptions['retry']): RetryPolicy {
  if (value === false) return { ...DEFAULTS.retry, retries: 0 }
  if (value === undefined) return { ...DEFAULTS.retry }
  if (typeof value !== 'object' || value === null) invalid('retry', 'must be an object or false')
  const retries = value.retries ?? DEFAULTS.retry.retries
  if (!Number.isInteger(retries) || retries < 0) invalid('retry.retries', 'must be a non-negative integer')
  const minDelay = duration(value.minDelay, 'retry.minDelay', DEFAULTS.retry.minDelay, true)
  const maxDelay = duration(
    value.maxDelay,
    'retry.maxDelay',
    Math.max(minDelay, DEFAULTS.retry.maxDelay),
    true,
  )
  if (maxDelay < minDelay) invalid('retry.maxDelay', 'must not be smaller than "retry.minDelay"')
  const maxElapsed = duration(value.maxElapsed, 'retry.maxElapsed', DEFAULTS.retry.maxElapsed, true)
  return { retries, minDelay, maxDelay, maxElapsed }
}

/** The longest lock a store must accept (`@m2m-guard/redis` refuses longer ones). */
const MAX_LOCK_TTL = 600_000

function store(options: TokenClientOptions): ResolvedOptions['store'] {
  const { store: given, storeOptions } = options
  if (given === undefined) {
    if (storeOptions !== undefined) invalid('storeOptions', 'needs the "store" option')
    return undefined
  }
  const methods = ['get', 'set', 'lock'] as const
  if (
    typeof given !== 'object' ||
    given === null ||
    methods.some((name) => typeof given[name] !== 'function')
  ) {
    invalid('store', 'must be a TokenStore: an object with get, set and lock functions')
  }
  if (storeOptions !== undefined && (typeof storeOptions !== 'object' || storeOptions === null)) {
    invalid('storeOptions', 'must be an object')
  }
  const defaults = DEFAULTS.storeOptions
  const lockTtl = duration(storeOptions?.lockTtl, 'storeOptions.lockTtl', defaults.lockTtl)
  if (!Number.isInteger(lockTtl) || lockTtl > MAX_LOCK_TTL) {
    invalid('storeOptions.lockTtl', `must be an integer of at most ${MAX_LOCK_TTL} ms`)
  }
  return {
    store: given,
    timeout: duration(storeOptions?.timeout, 'storeOptions.timeout', defaults.timeout),
    lockTtl,
    maxWait: duration(storeOptions?.maxWait, 'storeOptions.maxWait', defaults.maxWait, true),
  }
}

function callable<T>(value: unknown, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalid(name, 'must be a function')
  return value as T | undefined
}

/**
 * Validates every option once, at `createTokenClient`, and fills in the defaults. Throws a TypeError
 * that names the offending option; never includes a secret in the message.
 *
 * @example
 * ```ts
 * resolveOptions({ tokenEndpoint: 'https://auth.example.com/token', clientId: 'billing', clientSecret: 's' })
 * ```
 */
export function resolveOptions(options: TokenClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object')
  const fetchImpl = callable<typeof globalThis.fetch>(options.fetch, 'fetch') ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') invalid('fetch', 'is required: this runtime has no global fetch')
  const timeout = duration(options.timeout, 'timeout', DEFAULTS.timeout)
  const tls = options.tls === undefined ? undefined : resolveTls(options.tls)
  // Called unbound: a browser's fetch throws "Illegal invocation" when `this` is another object.
  const plainFetch: typeof globalThis.fetch = (input, init) => fetchImpl(input, init)
  return {
    endpoint: endpoint(options),
    credentials: credentials(options, timeout),
    params: params(options),
    renewBefore: duration(options.renewBefore, 'renewBefore', DEFAULTS.renewBefore, true),
    defaultLifetime: duration(options.defaultLifetime, 'defaultLifetime', DEFAULTS.defaultLifetime),
    retry: retry(options.retry),
    timeout,
    maxResponseSize: duration(options.maxResponseSize, 'maxResponseSize', DEFAULTS.maxResponseSize),
    fetch: tls === undefined ? plainFetch : fetchWithCertificate(plainFetch, tls),
    clock: callable<() => number>(options.clock, 'clock') ?? Date.now,
    sleep: callable<(ms: number) => Promise<void>>(options.sleep, 'sleep'),
    emit: createEmitter(callable<(event: TokenClientEvent) => unknown>(options.onEvent, 'onEvent')),
    dpop: resolveDpopKey(options.dpop),
    tls,
    store: store(options),
  }
}
