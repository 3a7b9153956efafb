/**
 * The client certificate as TLS-terminating proxies forward it. Each parser
 * returns the leaf certificate's DER, or why the header value is not one.
 *
 * - Envoy `x-forwarded-client-cert` (XFCC): comma-separated elements, one per
 *   proxy hop, each `Key=value` pairs separated by `;`, values optionally
 *   quoted; `Cert` is the URL-encoded PEM. Envoy appends the element for its
 *   own downstream peer at the END, so the last element is the one the
 *   proxy nearest this service wrote; earlier ones came from further away
 *   (or from the client, if the edge does not sanitise).
 * - RFC 9440 `Client-Cert`: a structured-field byte sequence, `:base64(DER):`.
 * - nginx `$ssl_client_escaped_cert` and AWS ALB `X-Amzn-Mtls-Clientcert`
 *   (`-Leaf` in verify mode): URL-encoded PEM (ALB keeps `+`, `=` and `/`
 *   as they are); a chain lists the leaf first.
 */

import { decodeBytes } from '#binding-crypto'

/** DER of the leaf certificate, or why there is none. */
export type HeaderCertificate = { der: Uint8Array } | { unreadable: string }

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

/** URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB); plain PEM passes through unchanged. */
export function derFromUrlEncodedPem(value: string): HeaderCertificate {
  let pem: string
  try {
    pem = decodeURIComponent(value)
  } catch {
    return { unreadable: 'certificate is not valid URL encoding' }
  }
  return derFromPem(pem)
}

/** RFC 9440 §2.2 `Client-Cert`: one sf-binary item, `:base64:`. */
export function derFromClientCertField(value: string): HeaderCertificate {
  const item = value.trim()
  if (item.length < 3 || !item.startsWith(':') || !item.endsWith(':')) {
    return { unreadable: 'Client-Cert is not a structured-field byte sequence' }
  }
  return derFromBase64(item.slice(1, -1))
}

/** Envoy XFCC: the `Cert` of the last element. */
export function derFromXfcc(value: string): HeaderCertificate {
  const elements = splitOutsideQuotes(value, ',')
  if (elements === undefined)
    return { unreadable: 'x-forwarded-client-cert has an unterminated quoted value' }
  const last = elements[elements.length - 1] as string
  for (const pair of splitOutsideQuotes(last, ';') ?? []) {
    const equals = pair.indexOf('=')
    if (equals === -1) continue
    if (pair.slice(0, equals).trim().toLowerCase() !== 'cert') continue
    return derFromUrlEncodedPem(unquote(pair.slice(equals + 1).trim()))
  }
  return {
    unreadable:
      'the last x-forwarded-client-cert element has no Cert (Envoy: set_current_client_cert_details cert: true)',
  }
}

/** Splits on `separator` where it is not inside a `"…"` value (with `\"` escapes); undefined if a quote is open. */
function splitOutsideQuotes(value: string, separator: string): string[] | undefined {
  const parts: string[] = []
  let start = 0
  let quoted = false
  for (let index = 0; index < value.length; index++) {
    const char = value[index]
    if (quoted && char === '\\') index++
    else if (char === '"') quoted = !quoted
    else if (!quoted && char === separator) {
      parts.push(value.slice(start, index))
      start = index + 1
    }
  }
  if (quoted) return undefined
  parts.push(value.slice(start))
  return parts
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}
