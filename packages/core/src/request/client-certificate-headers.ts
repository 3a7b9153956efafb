/**
 * The client certificate as TLS-terminating proxies forward it. Each parser
 * returns the leaf certificate's DER, or why the header value is not one.
 *
 * - Envoy `x-forwarded-client-cert` (XFCC): comma-separated elements, one per
 *   proxy hop, each `Key=value` pairs separated by `;`, values optionally
 *   quoted; `Cert` is the URL-encoded PEM (xfcc.ts reads it). Envoy appends the element for its
 *   own downstream peer at the END, so the last element is the one the
 *   proxy nearest this service wrote; earlier ones came from further away
 *   (or from the client, if the edge does not sanitise).
 * - RFC 9440 `Client-Cert`: a structured-field byte sequence, `:base64(DER):`.
 * - nginx `$ssl_client_escaped_cert` and AWS ALB `X-Amzn-Mtls-Clientcert`
 *   (`-Leaf` in verify mode): URL-encoded PEM (ALB keeps `+`, `=` and `/`
 *   as they are); a chain lists the leaf first.
 */

import { decodeBytes } from '#binding-crypto'
import { readXfcc, type XfccElement } from './xfcc.js'

/** DER of the leaf certificate, or why there is none. */
export type HeaderCertificate = { der: Uint8Array } | { unreadable: string }

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----'
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const WHITESPACE = /\s+/g

/** The first certificate of a PEM text (a chain lists its leaf first). */
export function derFromPem(pem: string): HeaderCertificate {
  const match = PEM_CERTIFICATE.exec(pem)
  if (match === null) return { unreadable: 'no PEM certificate block' }
  const body = (match[1] as string).replace(WHITESPACE, '')
  return derFromBase64(body)
}

function derFromBase64(body: string): HeaderCertificate {
  if (body.length % 4 !== 0 || !BASE64.test(body)) return { unreadable: 'certificate is not valid base64' }
  return { der: decodeBytes(body, 'base64') }
}

/**
 * URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB); plain PEM
 * passes through unchanged. Neither PEM nor its URL encoding has a `,`: one
 * means the header came twice and was joined (Node and `Headers` join
 * repeated lines with `, `), the first value possibly the client's own, so it
 * is refused. `chain`: the value may hold the leaf's chain after it; without
 * it, a second certificate is refused too.
 */
export function derFromUrlEncodedPem(value: string, chain = false): HeaderCertificate {
  if (value.includes(',')) return { unreadable: 'header holds more than one value (joined with ",")' }
  let pem: string
  try {
    pem = decodeURIComponent(value)
  } catch {
    return { unreadable: 'certificate is not valid URL encoding' }
  }
  if (!chain && pem.indexOf(PEM_BEGIN) !== pem.lastIndexOf(PEM_BEGIN))
    return { unreadable: 'more than one PEM certificate where one is expected' }
  return derFromPem(pem)
}

/** The same, for a value that lists the leaf's chain after it (ALB `X-Amzn-Mtls-Clientcert`). */
export const derFromUrlEncodedPemChain = (value: string): HeaderCertificate =>
  derFromUrlEncodedPem(value, true)

/** RFC 9440 §2.2 `Client-Cert`: one sf-binary item, `:base64:`. */
export function derFromClientCertField(value: string): HeaderCertificate {
  const item = value.trim()
  if (item.length < 3 || !item.startsWith(':') || !item.endsWith(':')) {
    return { unreadable: 'Client-Cert is not a structured-field byte sequence' }
  }
  return derFromBase64(item.slice(1, -1))
}

/**
 * Envoy XFCC: the `Cert` of the last element, read strictly (xfcc.ts). Envoy
 * writes `URI` and `DNS` values (the certificate's SANs) unquoted and
 * unescaped, so a certificate whose own SAN reads `…,Cert=<another
 * certificate>` would add an element that looks like the proxy's: a header
 * with either key is refused, whatever its value. Configure Envoy's
 * `set_current_client_cert_details` with `cert: true` (and `chain`, `subject`
 * if wanted), never `uri` or `dns`.
 */
export function derFromXfcc(value: string): HeaderCertificate {
  const reading = readXfcc(value)
  if ('unreadable' in reading) return reading
  for (const element of reading.elements) {
    for (const [key] of element) {
      if (key === 'uri' || key === 'dns') {
        return {
          unreadable: `x-forwarded-client-cert carries ${key.toUpperCase()}, which Envoy writes unescaped, so a certificate's own SAN could forge a Cert (Envoy: set_current_client_cert_details without uri and dns)`,
        }
      }
    }
  }
  const last = reading.elements[reading.elements.length - 1] as XfccElement
  const certs = last.filter(([key]) => key === 'cert')
  if (certs.length === 0) {
    return {
      unreadable:
        'the last x-forwarded-client-cert element has no Cert (Envoy: set_current_client_cert_details cert: true)',
    }
  }
  if (certs.length > 1)
    return { unreadable: 'the last x-forwarded-client-cert element has more than one Cert' }
  return derFromUrlEncodedPem((certs[0] as readonly [string, string])[1])
}
