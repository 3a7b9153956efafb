/**
 * The fix for a binding refusal (reasons from core's `BindingFailureReason`):
 * what the client, the proxy in front, or this API's options must change.
 */
import { printable } from '../printable.js'
import type { BindingEvidence } from './binding-evidence.js'

const TRUST_PROXY = "Express app.set('trust proxy', …), Koa app.proxy = true, Fastify trustProxy"

// Where a proof's own form is wrong, the client's DPoP code is the place to look.
const PROOF_FORM = new Set([
  'dpop_proof_too_large',
  'dpop_proof_malformed',
  'dpop_key_invalid',
  'dpop_signature_invalid',
  'dpop_claim_invalid',
])

// What verify (no request presented) refuses for a binding.
const WITHOUT_REQUEST = new Set(['dpop_not_accepted', 'dpop_required'])

/**
 * One sentence for binding refusal `reason`, or undefined when the reason
 * is not a binding one (`evidence` undefined: no request was presented).
 *
 * @example
 * bindingFix('dpop_proof_missing', evidence) // "pass the request's DPoP header with --dpop PROOF …"
 */
export function bindingFix(reason: string, evidence: BindingEvidence | undefined): string | undefined {
  if (evidence === undefined && !WITHOUT_REQUEST.has(reason)) return undefined
  const proof = evidence?.proof
  const url = evidence?.request.url
  if (PROOF_FORM.has(reason)) {
    return "the DPoP header is not a usable proof: pass the header's whole value (one JWT, typ dpop+jwt, signed by the public jwk in its header) and check the client's DPoP code"
  }
  switch (reason) {
    case 'dpop_proof_missing':
      return "pass the request's DPoP header with --dpop (and --url, the URL the client called): a DPoP-bound token is accepted only with a proof signed by its key"
    case 'dpop_url_mismatch':
      return urlFix(proof?.htu, url)
    case 'dpop_method_mismatch':
      return `the proof is for ${printable(proof?.htm)}: the client must sign each request's own method (--method gives the one sent; htm is case-sensitive)`
    case 'dpop_ath_mismatch':
      return 'the proof was made for another access token: the client must sign each proof with ath = SHA-256 of the token it sends (after renewing the token, with the new one)'
    case 'dpop_key_mismatch':
      return 'the proof is signed by another key than the one the token is bound to: the client must sign proofs with the key it used at the token endpoint (a new key needs a new token)'
    case 'dpop_proof_expired':
      return 'the proof is older than dpop.proofMaxAge (default 300 s): the client must sign a fresh proof for each request (or its clock is behind)'
    case 'dpop_proof_issued_in_future':
      return "the proof's iat is ahead of this machine's clock: synchronise the clocks (NTP)"
    case 'dpop_algorithm_not_allowed':
      return 'the client must sign proofs with an accepted algorithm (dpop.algorithms; default ES256, EdDSA, PS256, RS256)'
    case 'dpop_nonce_required':
      return 'this API demands server nonces (dpop.nonce): the client must retry with the DPoP-Nonce of the 401 answer in a new proof'
    case 'dpop_proof_replayed':
      return 'each proof is accepted once: the client must sign a new proof (new jti) for every request'
    case 'dpop_token_not_bound':
      return 'the token has no cnf.jkt (issued without a DPoP proof): send it as Bearer, or ask for a DPoP-bound token with a DPoP header on the token request'
    case 'dpop_token_as_bearer':
      return 'a DPoP-bound token goes as Authorization: DPoP <token> with a DPoP proof header, never as Bearer'
    case 'dpop_not_accepted':
      return 'the options turn dpop off: set dpop: {} in the verifier options to accept DPoP-bound tokens, or give this client a bearer token'
    case 'unsupported_scheme':
      return 'the options turn dpop off, so Authorization: DPoP is refused before the token is read: set dpop: {} in the verifier options to accept DPoP-bound tokens'
    case 'dpop_required':
      return 'this API takes DPoP only (dpop.required): send the token as Authorization: DPoP <token> with a proof'
    case 'certificate_missing':
      return "give the client's certificate with --cert FILE (PEM); in the service, check that it arrives where mtls.certificate reads it (the TLS socket, or the header the proxy sets)"
    case 'certificate_mismatch':
      return 'this is not the certificate the token was issued to: the client must call with the certificate it used at the token endpoint (a renewed certificate needs a new token)'
    case 'certificate_binding_required':
      return 'this API takes certificate-bound tokens only (mtls.required): the client must get its token over mutual TLS'
    case 'certificate_binding_not_accepted':
      return 'the options turn mtls off: set mtls in the verifier options to accept certificate-bound tokens'
    case 'token_binding_invalid':
      return 'the token\'s cnf is not one m2m-guard can check: the issuer must bind with cnf.jkt (DPoP) or cnf["x5t#S256"] (mTLS), one of them'
    default:
      return undefined
  }
}

// The top field bug of DPoP resource servers: the proxy in front changes the URL the service sees.
function urlFix(htu: unknown, url: string | undefined): string {
  let signed: URL | undefined
  let seen: URL | undefined
  try {
    signed = new URL(String(htu))
    seen = new URL(String(url))
  } catch {
    return 'give --url as the absolute http(s) URL of the request, and the client must sign that URL as htu'
  }
  const both = `the client signed ${printable(htu)}, the service saw ${printable(url)}`
  if (signed.origin !== seen.origin) {
    return `${both}: behind a TLS-terminating proxy the service sees its own scheme and host; turn on the framework's trust-proxy setting (${TRUST_PROXY}) where the proxy sets X-Forwarded-Proto and X-Forwarded-Host itself, or have the client sign the URL it calls`
  }
  return `${both}: the paths differ; a proxy that strips or rewrites a path prefix changes the URL the service compares, so have it keep the path, or the client sign the URL as the service receives it (query and fragment are ignored)`
}
