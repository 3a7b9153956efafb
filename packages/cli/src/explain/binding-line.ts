/**
 * The binding row of explain's checklist: how the request proves it holds
 * the token (a DPoP proof of the key in `cnf.jkt`, the certificate in
 * `cnf["x5t#S256"]`), and, when core refuses it, the values on both sides.
 */
import { printable } from '../printable.js'
import { isoDate, relativeTime } from '../time-format.js'
import type { BindingEvidence } from './binding-evidence.js'
import type { Observation } from './observations.js'

const X5T = 'cnf["x5t#S256"]'

/**
 * What the binding row shows before core's verdict: what the token is bound
 * to and what the request offers (`ok` undefined: only core can tell).
 *
 * @example
 * bindingObservation(evidence, true).detail // 'DPoP proof of key 0ZcO… (cnf.jkt), htm GET, htu https://orders.example/orders'
 */
export function bindingObservation(evidence: BindingEvidence, optionsGiven: boolean): Observation {
  const { cnf, proof, certificate, presented } = evidence
  // Flags cannot set dpop or mtls: only a user's own options can leave them off by mistake.
  const turnedOn = optionsGiven ? presented.turnedOn : []
  const notes = turnedOn.map((option) => `${option} turned on to check it (the options leave it unset)`)
  if (presented.certificateSourceReplaced) notes.push('the certificate given stands in for mtls.certificate')
  const note = notes.length === 0 ? '' : `; ${notes.join('; ')}`
  if (cnf.jkt !== undefined) {
    if (proof === undefined)
      return {
        ok: undefined,
        detail: `DPoP-bound to key ${printable(cnf.jkt)} (cnf.jkt); no proof given (--dpop)${note}`,
      }
    return {
      ok: undefined,
      detail: `DPoP proof of key ${printable(cnf.jkt)} (cnf.jkt), htm ${printable(proof.htm)}, htu ${printable(proof.htu)}${note}`,
    }
  }
  if (cnf.x5t !== undefined) {
    if (certificate === undefined)
      return {
        ok: undefined,
        detail: `certificate-bound to ${printable(cnf.x5t)} (${X5T}); no certificate given (--cert)${note}`,
      }
    return {
      ok: undefined,
      detail: `client certificate ${certificate.thumbprint} (${X5T}), subject ${printable(certificate.subject)}${note}`,
    }
  }
  return { ok: undefined, detail: `none: a bearer token (no cnf), sent as ${presented.scheme}${note}` }
}

/**
 * The values behind a binding refusal of `reason`, to print after core's
 * description; undefined when the observation says it already.
 *
 * @example
 * refusalDetail('dpop_url_mismatch', evidence, Date.now()) // "the proof's htu https://orders.example/orders, the request URL http://10.0.0.7:3000/orders"
 */
export function refusalDetail(reason: string, evidence: BindingEvidence, now: number): string | undefined {
  const { cnf, proof, request, presented, certificate, tokenAth } = evidence
  switch (reason) {
    case 'dpop_url_mismatch':
      return `the proof's htu ${printable(proof?.htu)}, the request URL ${printable(request.url ?? '(none)')}`
    case 'dpop_method_mismatch':
      return `the proof's htm ${printable(proof?.htm)}, the request method ${printable(presented.request.method)}`
    case 'dpop_key_mismatch':
      return `the proof's key ${printable(proof?.jkt ?? '(unreadable)')}, the token's cnf.jkt ${printable(cnf.jkt)}`
    case 'dpop_ath_mismatch':
      return `the proof's ath ${printable(proof?.ath ?? '(none)')}, this token's ${tokenAth}`
    case 'dpop_proof_expired':
    case 'dpop_proof_issued_in_future': {
      const iat = isoDate(proof?.iat)
      return iat === undefined
        ? undefined
        : `the proof's iat ${iat}, ${relativeTime(proof?.iat as number, now)}`
    }
    case 'certificate_mismatch':
      return `the certificate's thumbprint ${printable(certificate?.thumbprint ?? '(unreadable)')}, the token's ${X5T} ${printable(cnf.x5t)}`
    default:
      return undefined
  }
}

/**
 * The binding row's observation once core has spoken: with a refusal, the
 * values on both sides of it (after core's description) where there are two.
 * `optionsGiven`: the options are a service's own, not the flags.
 *
 * @example
 * observations.set('binding', bindingRow(evidence, run.error?.reason, run.startedAt, true))
 */
export function bindingRow(
  evidence: BindingEvidence,
  reason: string | undefined,
  now: number,
  optionsGiven: boolean,
): Observation {
  const seen = bindingObservation(evidence, optionsGiven)
  const detail = reason === undefined ? undefined : refusalDetail(reason, evidence, now)
  return detail === undefined ? seen : { ok: false, detail }
}
