/**
 * Where verification keys come from: a local key set given in the options,
 * or the issuer's remote one ({@link RemoteKeySet}).
 */
import { KeyMatcher, type VerificationKey } from './verification-key.js'

/**
 * A snapshot of the key set, for readiness probes and dashboards.
 *
 * @example
 * app.get('/ready', (req, res) => res.status(verifier.keyStatus().ready ? 200 : 503).end())
 */
export interface KeySetStatus {
  /** Keys are available to verify tokens (fresh, or stale within `staleIfError`). */
  ready: boolean
  /** Keys are within their max-age. */
  fresh: boolean
  /** Usable keys held now. */
  keyCount: number
  /** When keys were last fetched successfully (ms since epoch), if ever. */
  fetchedAt: number | undefined
  /** Until when the keys are fresh (ms since epoch). */
  freshUntil: number | undefined
  /** The last fetch error, while it is unresolved. */
  lastError: string | undefined
  /** The key set's URL, once known (configured or discovered). */
  jwksUri: string | undefined
}

/** One issuer profile's key set status. */
export interface IssuerKeyStatus extends KeySetStatus {
  /** The profile's first issuer, as configured. */
  issuer: string
}

/**
 * The verifier's key status: the fields of {@link KeySetStatus} summed up
 * over every issuer (`ready` only if all are), and each issuer's own.
 *
 * @example
 * const status = verifier.keyStatus()
 * if (!status.ready) console.warn('keys not ready for', status.notReady.join(', '))
 */
export interface VerifierKeyStatus extends KeySetStatus {
  /** One entry per issuer profile, in the order configured. */
  issuers: readonly IssuerKeyStatus[]
  /** The issuers whose keys are not ready. */
  notReady: readonly string[]
}

/** What the verifier asks of a key set. */
export interface KeySource {
  /** Keys that may verify a token with this header. May fetch; rejects with a `KeysUnavailableError`. */
  candidates(kid: string | undefined, alg: string): Promise<readonly VerificationKey[]>
  /**
   * The same keys when they are at hand without waiting (fresh, and some
   * match), so that a new token is checked without a turn of the microtask
   * queue; otherwise undefined, and `candidates` decides. `now`: the verifier's clock.
   */
  candidatesNow(kid: string | undefined, alg: string, now: number): readonly VerificationKey[] | undefined
  /** Fetches keys now (remote sets); rejects if they cannot be had. */
  warmUp(): Promise<void>
  /**
   * Called on every verified-token cache hit: if the keys are past their
   * freshness, starts the background refresh a new token would have started.
   * Never waits, never throws.
   */
  revalidate(now: number): void
  /**
   * The key fetch in flight (a background refresh, or one a request waits
   * on), if any; it may reject. Undefined when nothing is in flight, or when
   * the fetch is long past its timeout and the runtime dropped it.
   */
  backgroundWork(): Promise<void> | undefined
  status(): KeySetStatus
}

/** A fixed key set: no network, always ready. */
export class LocalKeySet implements KeySource {
  readonly #keys: readonly VerificationKey[]
  readonly #matcher = new KeyMatcher()

  constructor(keys: readonly VerificationKey[]) {
    this.#keys = keys
  }

  async candidates(kid: string | undefined, alg: string): Promise<readonly VerificationKey[]> {
    return this.#matcher.match(this.#keys, kid, alg)
  }

  candidatesNow(kid: string | undefined, alg: string): readonly VerificationKey[] | undefined {
    const found = this.#matcher.match(this.#keys, kid, alg)
    return found.length > 0 ? found : undefined
  }

  async warmUp(): Promise<void> {}

  revalidate(): void {}

  backgroundWork(): undefined {
    return undefined
  }

  status(): KeySetStatus {
    return {
      ready: this.#keys.length > 0,
      fresh: true,
      keyCount: this.#keys.length,
      fetchedAt: undefined,
      freshUntil: undefined,
      lastError: undefined,
      jwksUri: undefined,
    }
  }
}
