/**
 * From core's verdict to the checklist: which check a rejection's `reason`
 * belongs to, which checks it implies passed, and which core never reached.
 */
import type { AuthError, VerifierEvent } from '@m2m-guard/core'
import type { CheckLine } from '../check-lines.js'
import { CHECK_IDS, type CheckId, type Observation } from './observations.js'
import type { EffectiveProfile } from './profile.js'

const LABELS: Record<CheckId, string> = {
  shape: 'shape',
  header: 'header',
  alg: 'alg',
  key: 'key',
  signature: 'signature',
  claims: 'claim types',
  iss: 'iss',
  aud: 'aud',
  exp: 'exp',
  nbf: 'nbf',
  iat: 'iat',
  typ: 'typ',
  binding: 'binding',
  scopes: 'scopes',
  client: 'client',
}

// The order core works in: the token's form, then its key and signature, then its claims
// (jose's order within them differs from the printed one), then the token's binding to the
// request (authenticateRequest), then the route's requirement.
const STAGE: Record<CheckId, number> = {
  shape: 0,
  header: 0,
  alg: 0,
  key: 1,
  signature: 1,
  claims: 2,
  iss: 2,
  aud: 2,
  exp: 2,
  nbf: 2,
  iat: 2,
  typ: 2,
  binding: 2.5,
  scopes: 3,
  client: 3,
}

const BY_REASON: Record<string, CheckId> = {
  token_too_large: 'shape',
  algorithm_not_allowed: 'alg',
  unknown_key: 'key',
  keys_unavailable: 'key',
  signature_invalid: 'signature',
  issuer_mismatch: 'iss',
  issuer_unknown: 'iss',
  issuer_not_allowed: 'iss',
  audience_mismatch: 'aud',
  token_expired: 'exp',
  token_not_yet_valid: 'nbf',
  token_too_old: 'iat',
  token_issued_in_future: 'iat',
  typ_mismatch: 'typ',
  insufficient_scope: 'scopes',
  client_not_allowed: 'client',
}

// Every reason core's binding checks give (BindingFailureReason), and the replay store's 503.
const BINDING_REASONS = [
  'dpop_proof_missing',
  'dpop_proof_too_large',
  'dpop_proof_malformed',
  'dpop_algorithm_not_allowed',
  'dpop_key_invalid',
  'dpop_signature_invalid',
  'dpop_claim_invalid',
  'dpop_method_mismatch',
  'dpop_url_mismatch',
  'dpop_proof_expired',
  'dpop_proof_issued_in_future',
  'dpop_ath_mismatch',
  'dpop_nonce_required',
  'dpop_key_mismatch',
  'dpop_token_not_bound',
  'dpop_proof_replayed',
  'dpop_token_as_bearer',
  'dpop_required',
  'dpop_not_accepted',
  'certificate_missing',
  'certificate_mismatch',
  'certificate_binding_required',
  'certificate_binding_not_accepted',
  'token_binding_invalid',
  'replay_store_unavailable',
  // The DPoP scheme to a verifier whose dpop is off: refused before the token is read.
  'unsupported_scheme',
]
for (const reason of BINDING_REASONS) BY_REASON[reason] = 'binding'

/**
 * The check a rejection belongs to. `shapeStage` is where local decoding
 * failed, if it did (core words every malformed token alike).
 *
 * @example
 * failedCheck(error, undefined, profile) // 'exp' for reason token_expired
 */
export function failedCheck(
  error: AuthError,
  shapeStage: CheckId | undefined,
  profile: EffectiveProfile,
): CheckId {
  const byReason = BY_REASON[error.reason]
  if (byReason !== undefined) return byReason
  if (error.reason === 'token_malformed') {
    // Decoding here found header and claims to be JSON objects, so what core (jose) refused is
    // in the header: a "crit" it does not know, "b64": false, a kid that is not a string.
    return shapeStage ?? 'header'
  }
  if (error.reason === 'missing_claim' || error.reason === 'invalid_claim') {
    const claim = /'([^']+)'/.exec(error.description)?.[1] ?? ''
    if (['iss', 'aud', 'exp', 'nbf', 'iat'].includes(claim)) return claim as CheckId
    if (profile.scopeClaims.includes(claim) || claim.startsWith('scope')) return 'scopes'
    if (profile.clientIdClaims.includes(claim)) return 'client'
  }
  return 'claims'
}

/**
 * The printed checklist: every check when the token passed; otherwise the
 * failed one ✗, earlier stages ✓, its own stage as observed, later ones not reached.
 * An issuer no profile names is refused before any key is looked up.
 *
 * @example
 * const lines = checklist(observations, error, 'exp')
 */
export function checklist(
  observations: Map<CheckId, Observation>,
  error: AuthError | undefined,
  failed: CheckId | undefined,
  keysReached = true,
): CheckLine[] {
  const failedStage =
    failed === undefined
      ? undefined
      : stageOfFailure(error?.reason as string, failed, keysReached, observations.has('binding'))
  const lines: CheckLine[] = []
  for (const id of CHECK_IDS) {
    const seen = observations.get(id) ?? { ok: undefined, detail: '' }
    const line = (status: CheckLine['status'], detail: string): CheckLine => ({
      id,
      status,
      label: LABELS[id],
      detail,
    })
    if (error === undefined || failed === undefined) {
      if (id !== 'claims' && (id !== 'binding' || observations.has(id))) lines.push(line('pass', seen.detail))
    } else if (id === failed) {
      lines.push(
        line(
          'fail',
          // core's words first (they are what the client is told), then what was seen here.
          error.reason === 'token_too_large' || seen.detail === ''
            ? error.description
            : `${error.description}; ${seen.detail}`,
        ),
      )
    } else if (id === 'claims' || (id === 'binding' && !observations.has(id))) {
      // Printed only when it is the failed one: the types of iss, exp… are part of their own rows.
      // The binding row only when a request was presented (a bound token always presents one).
    } else if (STAGE[id] < (failedStage as number) || (id === 'iss' && failedStage === 0.5)) {
      // Before the keys, core picks the issuer profile by iss: refused later, the iss matched one.
      lines.push(line('pass', seen.detail))
    } else if (STAGE[id] === failedStage && seen.ok !== undefined) {
      lines.push(line(seen.ok ? 'pass' : 'fail', seen.ok ? seen.detail : `${seen.detail} (fails too)`))
    } else {
      const preview = seen.ok === false ? `would fail too: ${seen.detail}` : seen.detail
      lines.push(line('skip', `not reached${preview === '' ? '' : `; ${preview}`}`))
    }
  }
  return lines
}

// Where in core's order a rejection happened: an oversized token is refused before it is
// even split; an issuer no profile names, or a header a profile refuses, before any key is
// looked up (`keysReached` false).
function stageOfFailure(reason: string, failed: CheckId, keysReached: boolean, presented: boolean): number {
  // dpop_required with a request: a Bearer credential where only DPoP is taken, refused before
  // the token is read (verify, with no request, refuses it after the token's checks).
  if (
    reason === 'token_too_large' ||
    (presented && (reason === 'dpop_required' || reason === 'unsupported_scheme'))
  )
    return -1
  if (reason === 'issuer_unknown' || (!keysReached && STAGE[failed] >= STAGE.key)) return 0.5
  return STAGE[failed]
}

const KEY_REASONS = new Set(['unknown_key', 'keys_unavailable', 'signature_invalid'])

/**
 * Whether core got as far as the token's key: it fetched a key set, or, with keys it needs
 * not fetch (a local `jwks`), it failed for a reason that comes after them. A header the
 * profile refuses (`refuseHeaders`) stops core before the keys.
 *
 * @example
 * keysReached(error, run.events, header, profile)
 */
export function keysReached(
  error: AuthError | undefined,
  events: readonly VerifierEvent[],
  header: Readonly<Record<string, unknown>> | undefined,
  profile: EffectiveProfile,
): boolean {
  if (error === undefined || KEY_REASONS.has(error.reason)) return true
  if (header !== undefined && profile.refuseHeaders.some((name) => name in header)) return false
  if (profile.localKeys) return true
  return events.some((event) => event.type === 'keys_fetched' || event.type === 'keys_fetch_failed')
}
