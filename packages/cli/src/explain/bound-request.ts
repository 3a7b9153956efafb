/**
 * The request explain presents for a sender-constrained token: what a DPoP
 * proof needs (method, URL, the `DPoP` header) and the client certificate,
 * in the shape core's `authenticateRequest` reads, with `dpop` or `mtls`
 * turned on where the options leave them unset (explaining a bound token
 * with them off would only say "not accepted here", whatever the request).
 */
import type { RequestInfo, VerifierOptions } from '@m2m-guard/core'

/**
 * The request that carried the token, as far as its binding needs it.
 *
 * @example
 * const request: ExplainRequest = { method: 'POST', url: 'https://orders.example/orders', dpop: proof }
 */
export interface ExplainRequest {
  /** The HTTP method, as sent. Default `GET`. */
  method?: string | undefined
  /** The absolute URL as the client addressed it (scheme, host, path): what `htu` names. */
  url?: string | undefined
  /** The `DPoP` header's value: the proof. */
  dpop?: string | undefined
  /** The client certificate (PEM or DER), for a certificate-bound token. */
  certificate?: string | Uint8Array | undefined
  /**
   * The Authorization scheme the client used. Default: `DPoP` for a
   * DPoP-bound token or with a proof, else `Bearer`.
   */
  scheme?: 'Bearer' | 'DPoP' | undefined
}

/** What the token's `cnf` binds it to, read locally (unverified). */
export interface TokenCnf {
  jkt: string | undefined
  x5t: string | undefined
}

/** The verifier's options and the request to give `authenticateRequest`. */
export interface PresentedRequest {
  options: VerifierOptions
  request: RequestInfo
  scheme: 'Bearer' | 'DPoP'
  /** Options explain turned on (`dpop: {}`, `mtls`) because the user's options leave them unset. */
  turnedOn: ('dpop' | 'mtls')[]
  /** The certificate given replaced the options' own `mtls.certificate` source. */
  certificateSourceReplaced: boolean
}

/**
 * The token's binding as its claims state it (nothing is verified here).
 *
 * @example
 * tokenCnf({ cnf: { jkt: '0ZcO…' } }) // { jkt: '0ZcO…', x5t: undefined }
 */
export function tokenCnf(payload: Readonly<Record<string, unknown>> | undefined): TokenCnf {
  const cnf = payload?.cnf
  if (typeof cnf !== 'object' || cnf === null) return { jkt: undefined, x5t: undefined }
  const { jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>
  return {
    jkt: typeof jkt === 'string' ? jkt : undefined,
    x5t: typeof x5t === 'string' ? x5t : undefined,
  }
}

/**
 * The request to present, or undefined when there is none to present: no
 * request given and a token without `cnf`, which `verify` judges alone.
 *
 * @example
 * const presented = presentRequest(options, token, tokenCnf(payload), { url, dpop: proof })
 * if (presented) await verifier.authenticateRequest(presented.request)
 */
export function presentRequest(
  options: VerifierOptions,
  token: string,
  cnf: TokenCnf,
  given: ExplainRequest | undefined,
): PresentedRequest | undefined {
  const request = given ?? {}
  // The scheme alone (a token pasted as "Bearer eyJ…") presents no request.
  const { scheme: _scheme, ...parts } = request
  const anyGiven = Object.values(parts).some((value) => value !== undefined)
  if (!anyGiven && cnf.jkt === undefined && cnf.x5t === undefined) return undefined
  const scheme = request.scheme ?? (request.dpop !== undefined || cnf.jkt !== undefined ? 'DPoP' : 'Bearer')
  const turnedOn: PresentedRequest['turnedOn'] = []
  let effective: VerifierOptions = options
  if (
    options.dpop === undefined &&
    (scheme === 'DPoP' || request.dpop !== undefined || cnf.jkt !== undefined)
  ) {
    effective = { ...effective, dpop: {} }
    turnedOn.push('dpop')
  }
  const { certificate } = request
  let certificateSourceReplaced = false
  if (certificate !== undefined) {
    // The certificate comes from the command line, not from where the service reads it
    // (its socket or a proxy header): a function source hands core exactly that one.
    const source = () => certificate
    const mtls = typeof options.mtls === 'object' ? options.mtls : {}
    certificateSourceReplaced = mtls.certificate !== undefined
    if (options.mtls === undefined) turnedOn.push('mtls')
    if (options.mtls !== false) effective = { ...effective, mtls: { ...mtls, certificate: source } }
  } else if (options.mtls === undefined && cnf.x5t !== undefined) {
    effective = { ...effective, mtls: {} }
    turnedOn.push('mtls')
  }
  const headers: Record<string, string> = { authorization: `${scheme} ${token}` }
  if (request.dpop !== undefined) headers.dpop = request.dpop
  return {
    options: effective,
    // Without --url there is no proof either (a usage error otherwise), and core refuses a
    // missing proof before it reads the URL.
    request: { method: request.method ?? 'GET', url: request.url ?? '', headers },
    scheme,
    turnedOn,
    certificateSourceReplaced,
  }
}
