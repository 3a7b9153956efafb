import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { readClientCertificate } from '../../src/request/client-certificate.js'
import type { RequestInfo } from '../../src/request/request-info.js'
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js'

let ca: TestCertificate
let client: TestCertificate
let proxy: TestCertificate

beforeAll(() => {
  ca = makeCertificate('test ca', undefined, { ca: true })
  client = makeCertificate('billing', ca, { san: 'DNS:billing.internal' })
  proxy = makeCertificate('edge proxy', ca)
})

const at = (
  headers: RequestInfo['headers'],
  clientCertificate?: RequestInfo['clientCertificate'],
): RequestInfo => ({
  method: 'GET',
  url: 'https://orders.example.com/orders',
  headers,
  ...(clientCertificate === undefined ? {} : { clientCertificate }),
})

// nginx $ssl_client_escaped_cert and ALB: every reserved character escaped; ALB leaves + = / alone.
const nginxEscaped = (pem: string) => encodeURIComponent(pem)
const albEscaped = (pem: string) =>
  encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/')

describe('the socket', () => {
  it('reads an X509Certificate, DER bytes and PEM text to the same thumbprint', () => {
    for (const value of [client.x509, client.der, new Uint8Array(client.der), client.pem]) {
      expect(readClientCertificate(at({}, value), 'socket')).toEqual({ thumbprint: client.thumbprint })
    }
  })

  it('reads a PEM chain as its first (leaf) certificate', () => {
    expect(readClientCertificate(at({}, client.pem + ca.pem), 'socket')).toEqual({
      thumbprint: client.thumbprint,
    })
  })

  it('no certificate (absent, empty DER, empty string) is missing without a reason', () => {
    for (const value of [undefined, new Uint8Array(0), '']) {
      expect(readClientCertificate(at({}, value), 'socket')).toEqual({ missing: true, why: undefined })
    }
  })

  it('ignores certificate headers a client sends', () => {
    const headers = {
      'x-ssl-client-cert': nginxEscaped(client.pem),
      'client-cert': `:${client.der.toString('base64')}:`,
    }
    expect(readClientCertificate(at(headers), 'socket')).toEqual({ missing: true, why: undefined })
  })
})

describe('proxy headers', () => {
  it('nginx x-ssl-client-cert: URL-encoded PEM', () => {
    const reading = readClientCertificate(
      at({ 'x-ssl-client-cert': nginxEscaped(client.pem) }),
      'x-ssl-client-cert',
    )
    expect(reading).toEqual({ thumbprint: client.thumbprint })
  })

  it('AWS ALB x-amzn-mtls-clientcert: URL-encoded PEM chain (+ = / unescaped), leaf first', () => {
    const value = albEscaped(client.pem + ca.pem)
    expect(value).toMatch(/[+/=]/)
    expect(readClientCertificate(at({ 'x-amzn-mtls-clientcert': value }), 'x-amzn-mtls-clientcert')).toEqual({
      thumbprint: client.thumbprint,
    })
    expect(
      readClientCertificate(
        at({ 'x-amzn-mtls-clientcert-leaf': albEscaped(client.pem) }),
        'x-amzn-mtls-clientcert-leaf',
      ),
    ).toEqual({ thumbprint: client.thumbprint })
  })

  it('RFC 9440 Client-Cert: a structured-field byte sequence of the DER', () => {
    const value = `:${client.der.toString('base64')}:`
    expect(readClientCertificate(at({ 'client-cert': value }), 'client-cert')).toEqual({
      thumbprint: client.thumbprint,
    })
    expect(readClientCertificate(at(new Headers({ 'Client-Cert': ` ${value} ` })), 'client-cert')).toEqual({
      thumbprint: client.thumbprint,
    })
  })

  it('Envoy XFCC: the Cert of the last element, quoted or not', () => {
    const hash = client.x509.fingerprint256.replaceAll(':', '').toLowerCase()
    const single = `By=spiffe://orders;Hash=${hash};Cert="${encodeURIComponent(client.pem)}";Subject="CN=billing"`
    expect(
      readClientCertificate(at({ 'x-forwarded-client-cert': single }), 'x-forwarded-client-cert'),
    ).toEqual({
      thumbprint: client.thumbprint,
    })
    // A client-supplied element first, the edge's own element last (APPEND_FORWARD).
    const appended = `Cert="${encodeURIComponent(proxy.pem)}";Subject="CN=a, O=\\"quoted\\"",Hash=${hash};Cert=${encodeURIComponent(client.pem)}`
    expect(
      readClientCertificate(at({ 'x-forwarded-client-cert': appended }), 'x-forwarded-client-cert'),
    ).toEqual({
      thumbprint: client.thumbprint,
    })
    // Two header lines, joined by Node or Headers with ", ": the later (the proxy's) element.
    const joined = `Cert="${encodeURIComponent(proxy.pem)}", Hash=${hash};Cert="${encodeURIComponent(client.pem)}"`
    expect(
      readClientCertificate(at({ 'x-forwarded-client-cert': joined }), 'x-forwarded-client-cert'),
    ).toEqual({
      thumbprint: client.thumbprint,
    })
  })

  describe('Envoy XFCC: a client cannot make its own text the Cert', () => {
    const xfcc = (value: string) =>
      readClientCertificate(at({ 'x-forwarded-client-cert': value }), 'x-forwarded-client-cert')
    const victim = () => encodeURIComponent(client.pem)
    const own = () => encodeURIComponent(proxy.pem)

    it('a URI or DNS value (Envoy writes SANs unescaped) is refused, whatever it holds', () => {
      // The attacker's certificate carries the URI SAN "https://attacker.example/,Cert=<victim's PEM>".
      const forgedSan = `By=spiffe://edge;Cert="${own()}";URI=https://attacker.example/,Cert=${victim()}`
      const why =
        "x-forwarded-client-cert: x-forwarded-client-cert carries URI, which Envoy writes unescaped, so a certificate's own SAN could forge a Cert (Envoy: set_current_client_cert_details without uri and dns)"
      expect(xfcc(forgedSan)).toEqual({ missing: true, why })
      expect(xfcc(`Cert="${victim()}";URI=spiffe://orders/billing`)).toEqual({ missing: true, why })
      expect(xfcc(`Cert="${victim()}";URI=`)).toEqual({ missing: true, why })
      expect(xfcc(`Cert="${victim()}";dns=billing.internal`)).toEqual({
        missing: true,
        why: why.replace('carries URI', 'carries DNS'),
      })
    })

    it('a quote left open by a client-written element does not shift the proxy element', () => {
      // APPEND_FORWARD: the client sends `a="`; its subject closes the quote and names the victim's Cert.
      const subject = `CN=x\\,Cert=${victim()}\\"`
      const shifted = `a=",By=spiffe://edge;Cert="${own()}";Subject="${subject}"`
      expect(xfcc(shifted)).toEqual({
        missing: true,
        why: 'x-forwarded-client-cert: x-forwarded-client-cert has text after a quoted value',
      })
    })

    it.each([
      [
        'two Certs in the last element',
        'Cert="x";Cert="y"',
        'the last x-forwarded-client-cert element has more than one Cert',
      ],
      [
        'a quote inside a bare value',
        'Hash=a"b;Cert="x"',
        'x-forwarded-client-cert has a quote inside an unquoted value',
      ],
      [
        'a quote that opens mid-value',
        'Cert=x"y"',
        'x-forwarded-client-cert has a quote inside an unquoted value',
      ],
      [
        'text after a closing quote',
        `Cert="x"y;Hash=z`,
        'x-forwarded-client-cert has text after a quoted value',
      ],
      ['a pair without "="', `Cert="x";junk`, 'x-forwarded-client-cert has a pair without "="'],
      ['a trailing comma', `Cert="x",`, 'x-forwarded-client-cert has a pair without "="'],
      [
        'a key that is not a word',
        `Cert="x"; Hash=y`,
        'x-forwarded-client-cert has a key that is not a word',
      ],
      ['an unterminated quote', 'Cert="x\\"', 'x-forwarded-client-cert has an unterminated quoted value'],
    ])('%s is refused', (_name, value, why) => {
      expect(xfcc(value)).toEqual({ missing: true, why: `x-forwarded-client-cert: ${why}` })
    })

    it('quoted values keep their escaped quotes, commas and semicolons inside', () => {
      const value = `Subject="CN=a\\, O=\\"b;c\\"",Subject="O=\\\\";Cert="${victim()}"`
      expect(xfcc(value)).toEqual({ thumbprint: client.thumbprint })
    })
  })

  it('a PEM header sent twice arrives joined with ", " and is refused, whichever came first', () => {
    for (const source of [
      'x-ssl-client-cert',
      'x-amzn-mtls-clientcert',
      'x-amzn-mtls-clientcert-leaf',
    ] as const) {
      const joined = `${nginxEscaped(client.pem)}, ${nginxEscaped(proxy.pem)}`
      expect(readClientCertificate(at({ [source]: joined }), source)).toEqual({
        missing: true,
        why: `${source}: header holds more than one value (joined with ",")`,
      })
      const headers = new Headers()
      headers.append(source, albEscaped(client.pem))
      headers.append(source, albEscaped(proxy.pem))
      expect(readClientCertificate(at(headers), source)).toEqual({
        missing: true,
        why: `${source}: header holds more than one value (joined with ",")`,
      })
    }
  })

  it("a leaf-only header holding two certificates is refused; ALB's chain header is read as its leaf", () => {
    const two = nginxEscaped(client.pem + ca.pem)
    for (const source of ['x-ssl-client-cert', 'x-amzn-mtls-clientcert-leaf'] as const) {
      expect(readClientCertificate(at({ [source]: two }), source)).toEqual({
        missing: true,
        why: `${source}: more than one PEM certificate where one is expected`,
      })
    }
    expect(readClientCertificate(at({ 'x-amzn-mtls-clientcert': two }), 'x-amzn-mtls-clientcert')).toEqual({
      thumbprint: client.thumbprint,
    })
  })

  it('a Headers object works like a Node header record', () => {
    const headers = new Headers({ 'X-SSL-Client-Cert': nginxEscaped(client.pem) })
    expect(readClientCertificate(at(headers), 'x-ssl-client-cert')).toEqual({ thumbprint: client.thumbprint })
  })

  it('an absent header is missing without a reason', () => {
    expect(readClientCertificate(at({}), 'x-forwarded-client-cert')).toEqual({
      missing: true,
      why: undefined,
    })
  })

  it.each([
    ['x-ssl-client-cert', 'not a certificate', 'x-ssl-client-cert: no PEM certificate block'],
    ['x-ssl-client-cert', '%E0%A4%A', 'x-ssl-client-cert: certificate is not valid URL encoding'],
    [
      'x-ssl-client-cert',
      encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAA*\n-----END CERTIFICATE-----'),
      'x-ssl-client-cert: no PEM certificate block',
    ],
    [
      'x-ssl-client-cert',
      encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----'),
      'x-ssl-client-cert: not an X.509 certificate',
    ],
    [
      'x-ssl-client-cert',
      encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAAA\n-----END CERTIFICATE-----'),
      'x-ssl-client-cert: certificate is not valid base64',
    ],
    ['client-cert', 'MIIB', 'client-cert: Client-Cert is not a structured-field byte sequence'],
    ['client-cert', '::', 'client-cert: Client-Cert is not a structured-field byte sequence'],
    ['client-cert', ':not base64!:', 'client-cert: certificate is not valid base64'],
    ['client-cert', ':AAAA:', 'client-cert: not an X.509 certificate'],
    [
      'x-forwarded-client-cert',
      'Hash=abc;Subject="CN=x"',
      'x-forwarded-client-cert: the last x-forwarded-client-cert element has no Cert (Envoy: set_current_client_cert_details cert: true)',
    ],
    [
      'x-forwarded-client-cert',
      'Cert="unterminated',
      'x-forwarded-client-cert: x-forwarded-client-cert has an unterminated quoted value',
    ],
    [
      'x-amzn-mtls-clientcert',
      'x'.repeat(70_000),
      'x-amzn-mtls-clientcert header is longer than 65536 characters',
    ],
  ] as const)('%s %#: an unreadable value is missing, with why', (source, value, why) => {
    expect(readClientCertificate(at({ [source]: value }), source)).toEqual({ missing: true, why })
  })

  it('a header sent twice is refused, not guessed', () => {
    const headers = { 'x-ssl-client-cert': [nginxEscaped(client.pem), nginxEscaped(proxy.pem)] }
    expect(readClientCertificate(at(headers), 'x-ssl-client-cert')).toEqual({
      missing: true,
      why: 'x-ssl-client-cert header appears more than once',
    })
  })
})

describe('a function', () => {
  it('gets the request and may return any certificate form', () => {
    const seen: RequestInfo[] = []
    const source = (request: RequestInfo) => {
      seen.push(request)
      return new X509Certificate(client.pem)
    }
    const request = at({})
    expect(readClientCertificate(request, source)).toEqual({ thumbprint: client.thumbprint })
    expect(seen).toEqual([request])
  })

  it('a function that throws or returns junk reads as missing, with why', () => {
    expect(
      readClientCertificate(at({}), () => {
        throw new Error('no socket')
      }),
    ).toEqual({ missing: true, why: 'certificate function threw: no socket' })
    expect(readClientCertificate(at({}), () => 42 as unknown as string)).toEqual({
      missing: true,
      why: 'certificate is neither an X509Certificate, PEM nor DER',
    })
    expect(readClientCertificate(at({}), () => 'garbage')).toEqual({
      missing: true,
      why: 'certificate: not an X.509 certificate',
    })
  })
})
