/**
 * What the request offers as proof of possession, read locally to describe
 * it: the DPoP proof's claims and key thumbprint, the certificate's
 * thumbprint and subject, the `ath` this token calls for. Core decides; this
 * only names the values on either side of a mismatch.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose'
import type { ExplainRequest, PresentedRequest, TokenCnf } from './bound-request.js'

/** A DPoP proof, decoded (not verified). */
export interface ProofParts {
  htm: unknown
  htu: unknown
  ath: unknown
  iat: unknown
  /** RFC 7638 thumbprint of the proof's `jwk`, if it is a public key jose can read. */
  jkt: string | undefined
}

/** Everything the binding line and its fix read. */
export interface BindingEvidence {
  cnf: TokenCnf
  request: ExplainRequest
  presented: PresentedRequest
  /** The proof, if one was given and decodes as a JWT. */
  proof: ProofParts | undefined
  /** base64url SHA-256 of the token: the `ath` a proof for it carries. */
  tokenAth: string
  certificate: { thumbprint: string; subject: string } | undefined
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('base64url')

/**
 * The evidence for `presented`, read from the request as given.
 *
 * @example
 * const evidence = await bindingEvidence(token, cnf, { url, dpop }, presented)
 * evidence.proof?.htu // 'https://orders.example/orders'
 */
export async function bindingEvidence(
  token: string,
  cnf: TokenCnf,
  request: ExplainRequest,
  presented: PresentedRequest,
): Promise<BindingEvidence> {
  return {
    cnf,
    request,
    presented,
    proof: request.dpop === undefined ? undefined : await proofParts(request.dpop),
    tokenAth: sha256(token),
    certificate: request.certificate === undefined ? undefined : certificateParts(request.certificate),
  }
}

async function proofParts(proof: string): Promise<ProofParts | undefined> {
  try {
    const header = decodeProtectedHeader(proof)
    const payload = decodeJwt(proof)
    let jkt: string | undefined
    try {
      jkt = typeof header.jwk === 'object' ? await calculateJwkThumbprint(header.jwk as JWK) : undefined
    } catch {
      jkt = undefined
    }
    return { htm: payload.htm, htu: payload.htu, ath: payload.ath, iat: payload.iat, jkt }
  } catch {
    return undefined
  }
}

/**
 * The certificate's RFC 8705 thumbprint (base64url SHA-256 of its DER) and
 * subject; undefined if node:crypto cannot read it.
 *
 * @example
 * certificateParts(pem)?.thumbprint // 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 */
export function certificateParts(
  certificate: string | Uint8Array,
): { thumbprint: string; subject: string } | undefined {
  try {
    const x509 = new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate))
    return { thumbprint: sha256(x509.raw), subject: x509.subject.replaceAll('\n', ', ') }
  } catch {
    return undefined
  }
}

/**
 * The request explain presented, in `--json` (none when the token was verified alone).
 *
 * @example
 * report.request?.turnedOn // ['dpop']: the options leave dpop unset
 */
export interface PresentedSummary {
  scheme: 'Bearer' | 'DPoP'
  method: string
  url: string | undefined
  proof: boolean
  /** The given certificate's thumbprint (base64url SHA-256 of its DER). */
  certificate: string | undefined
  /** Options explain turned on because the options leave them unset. */
  turnedOn: ('dpop' | 'mtls')[]
}

/**
 * What was presented, for the report: no proof or certificate, only that one was given.
 *
 * @example
 * presentedSummary(evidence) // { scheme: 'DPoP', method: 'GET', url: 'https://…', proof: true, … }
 */
export function presentedSummary(evidence: BindingEvidence): PresentedSummary {
  const { presented, request, certificate } = evidence
  return {
    scheme: presented.scheme,
    method: presented.request.method,
    url: request.url,
    proof: request.dpop !== undefined,
    certificate: certificate?.thumbprint,
    turnedOn: presented.turnedOn,
  }
}
