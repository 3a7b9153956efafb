/**
 * Reads the client certificate of a request from where the deployment puts
 * it (the TLS socket, a proxy header, or the application's own function) and
 * returns its RFC 8705 `x5t#S256` thumbprint: base64url SHA-256 of the DER.
 */
import { certificateDer, sha256Base64url } from '#binding-crypto'
import {
  derFromClientCertField,
  derFromUrlEncodedPem,
  derFromUrlEncodedPemChain,
  derFromXfcc,
  type HeaderCertificate,
} from './client-certificate-headers.js'
import { headerValues, type RequestInfo } from './request-info.js'

/**
 * A certificate as the socket or a function gives it: a node `X509Certificate`
 * (anything with the DER as `raw`), PEM text, or DER bytes.
 */
export type ClientCertificate = { readonly raw: Uint8Array } | string | Uint8Array

/**
 * Where the client certificate comes from. `'socket'`: the TLS connection
 * (`RequestInfo.clientCertificate`, which adapters fill in). A header name:
 * that header as the proxy in front sets it; the proxy MUST remove the header
 * from client requests, or clients can claim any certificate. A function:
 * whatever it returns for the request.
 */
export type CertificateSource =
  | 'socket'
  | 'x-forwarded-client-cert'
  | 'client-cert'
  | 'x-ssl-client-cert'
  | 'x-amzn-mtls-clientcert'
  | 'x-amzn-mtls-clientcert-leaf'
  | ((request: RequestInfo) => ClientCertificate | undefined)

/** Every header source, with its parser. */
export const CERTIFICATE_HEADERS: Readonly<Record<string, (value: string) => HeaderCertificate>> = {
  'x-forwarded-client-cert': derFromXfcc,
  'client-cert': derFromClientCertField,
  'x-ssl-client-cert': derFromUrlEncodedPem,
  'x-amzn-mtls-clientcert': derFromUrlEncodedPemChain,
  'x-amzn-mtls-clientcert-leaf': derFromUrlEncodedPem,
}

/** A proxy header longer than this is refused unread (ALB's whole chain stays far below it). */
export const MAX_CERTIFICATE_HEADER_LENGTH = 65_536

/** The certificate's thumbprint; or none, with why when something was there but could not be read. */
export type CertificateReading = { thumbprint: string } | { missing: true; why: string | undefined }

/**
 * Reads the request's client certificate from `source`. Never throws: a
 * value that does not parse, or a function that throws, reads as missing
 * with the reason.
 *
 * @example
 * readClientCertificate(request, 'x-forwarded-client-cert') // { thumbprint: 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' }
 */
export function readClientCertificate(request: RequestInfo, source: CertificateSource): CertificateReading {
  if (typeof source === 'function') {
    let value: ClientCertificate | undefined
    try {
      value = source(request)
    } catch (error) {
      return {
        missing: true,
        why: `certificate function threw: ${(error as Error)?.message ?? String(error)}`,
      }
    }
    return fromValue(value)
  }
  if (source === 'socket') return fromValue(request.clientCertificate)
  const values = headerValues(request.headers, source)
  if (values.length === 0) return { missing: true, why: undefined }
  if (values.length > 1) return { missing: true, why: `${source} header appears more than once` }
  const value = values[0] as string
  if (value.length > MAX_CERTIFICATE_HEADER_LENGTH) {
    return {
      missing: true,
      why: `${source} header is longer than ${MAX_CERTIFICATE_HEADER_LENGTH} characters`,
    }
  }
  const parse = CERTIFICATE_HEADERS[source] as (value: string) => HeaderCertificate
  const parsed = parse(value)
  if ('unreadable' in parsed) return { missing: true, why: `${source}: ${parsed.unreadable}` }
  return checkedDer(parsed.der, source)
}

function fromValue(value: unknown): CertificateReading {
  if (value === undefined || value === null || value === '') return { missing: true, why: undefined }
  // DER from the TLS socket (`getPeerCertificate().raw`, `X509Certificate.raw`), parsed by the TLS stack already.
  const raw = value instanceof Uint8Array ? value : (value as { raw?: unknown }).raw
  if (raw instanceof Uint8Array) {
    return raw.length === 0 ? { missing: true, why: undefined } : { thumbprint: sha256Base64url(raw) }
  }
  if (typeof value === 'string') return checkedDer(value, 'certificate')
  return { missing: true, why: 'certificate is neither an X509Certificate, PEM nor DER' }
}

/** Parses the certificate, so that text that merely looks like one reads as missing. */
function checkedDer(input: string | Uint8Array, what: string): CertificateReading {
  const der = certificateDer(input)
  if (der === undefined) return { missing: true, why: `${what}: not an X.509 certificate` }
  return { thumbprint: sha256Base64url(der) }
}
