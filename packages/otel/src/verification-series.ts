/**
 * The attribute sets of `m2m_guard.verifications` and
 * `m2m_guard.verification.duration`, made once per outcome, issuer and
 * reason and reused on every verification: no object built per request.
 * Their values come from the configuration (the issuer profile's id) and
 * core's fixed vocabularies (outcome, reason), so the table stays small; it
 * is bounded all the same, and past the bound a verification is recorded
 * with attribute objects of its own, as before this table existed.
 */
import type { Attributes } from '@opentelemetry/api'
import type { BufferedCounter, CountedSeries } from './buffered-counter.js'

/** What one verification records into. */
export interface VerificationSeries {
  /** `{ outcome, issuer }`, frozen: the histogram's attribute set. */
  readonly duration: Attributes
  /** `{ outcome, issuer, reason? }`: the counter's series. */
  readonly count: CountedSeries
}

/** Series kept at most (issuer profiles × reasons in practice: a few dozen). */
export const MAX_VERIFICATION_SERIES = 1024

interface IssuerSeries {
  readonly duration: Attributes
  readonly byReason: Map<string | undefined, VerificationSeries>
}

/**
 * The series of one verifier's verifications.
 *
 * @example
 * const table = new VerificationSeriesTable(bufferedVerifications)
 * const series = table.get('accepted', 'https://auth.example.com/', undefined)
 */
export class VerificationSeriesTable {
  readonly #counter: BufferedCounter
  readonly #byOutcome = new Map<string, Map<string, IssuerSeries>>()
  #size = 0

  constructor(counter: BufferedCounter) {
    this.#counter = counter
  }

  /** The series of this outcome, issuer and reason; undefined once the table is full. */
  get(outcome: string, issuer: string, reason: string | undefined): VerificationSeries | undefined {
    const known = this.#byOutcome.get(outcome)?.get(issuer)?.byReason.get(reason)
    if (known !== undefined) return known
    return this.#size < MAX_VERIFICATION_SERIES ? this.#add(outcome, issuer, reason) : undefined
  }

  #add(outcome: string, issuer: string, reason: string | undefined): VerificationSeries {
    let byIssuer = this.#byOutcome.get(outcome)
    if (byIssuer === undefined) {
      byIssuer = new Map()
      this.#byOutcome.set(outcome, byIssuer)
    }
    let ofIssuer = byIssuer.get(issuer)
    if (ofIssuer === undefined) {
      ofIssuer = { duration: Object.freeze({ outcome, issuer }), byReason: new Map() }
      byIssuer.set(issuer, ofIssuer)
    }
    // Same key order as the histogram's set, `reason` last: the order an exporter shows.
    const attributes: Attributes = { outcome, issuer }
    if (reason !== undefined) attributes.reason = reason
    const series = { duration: ofIssuer.duration, count: this.#counter.series(attributes) }
    ofIssuer.byReason.set(reason, series)
    this.#size += 1
    return series
  }
}
