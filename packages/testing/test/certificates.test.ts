import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { createTestCertificates, type TestCertificates } from '@m2m-guard/testing'
import { beforeAll, describe, expect, it } from 'vitest'

describe('createTestCertificates', () => {
  let pki: TestCertificates
  let ca: X509Certificate
  beforeAll(async () => {
    pki = await createTestCertificates()
    ca = new X509Certificate(pki.ca)
  })

  it('makes a CA', () => {
    expect(ca.ca).toBe(true)
    expect(ca.verify(ca.publicKey)).toBe(true)
    expect(ca.subject).toContain('CN=m2m-guard test CA')
  })

  it('makes a server certificate for 127.0.0.1, ::1 and localhost, issued by the CA, with its key', () => {
    const server = new X509Certificate(pki.server.cert)
    expect(server.ca).toBe(false)
    expect(server.checkIssued(ca)).toBe(true)
    expect(server.verify(ca.publicKey)).toBe(true)
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkIP('::1')).toBe('::1')
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkHost('example.com')).toBeUndefined()
    expect(server.checkPrivateKey(createPrivateKey(pki.server.key))).toBe(true)
    expect(server.keyUsage).toContain('1.3.6.1.5.5.7.3.1') // serverAuth
  })

  it('issues client certificates with a subject, a thumbprint and a key', async () => {
    const billing = await pki.issueClient('billing')
    const cert = new X509Certificate(billing.cert)
    expect(cert.verify(ca.publicKey)).toBe(true)
    expect(cert.subject).toBe('CN=billing\nO=m2m-guard tests')
    expect(billing.subjectDn).toBe('CN=billing, O=m2m-guard tests')
    expect(billing.thumbprint).toBe(createHash('sha256').update(cert.raw).digest('base64url'))
    expect(cert.checkPrivateKey(createPrivateKey(billing.key))).toBe(true)
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2') // clientAuth
    const other = await pki.issueClient('billing')
    expect(other.thumbprint).not.toBe(billing.thumbprint)
    expect(new X509Certificate(other.cert).serialNumber).not.toBe(cert.serialNumber)
  })

  it('escapes RFC 4514 specials in the subject', async () => {
    const odd = await pki.issueClient('a,b+c', { organization: 'Acme; "Ltd"' })
    expect(new X509Certificate(odd.cert).subject).toBe('CN=a\\,b\\+c\nO=Acme\\; \\"Ltd\\"')
    expect(odd.subjectDn).toBe('CN=a\\,b\\+c, O=Acme\\; \\"Ltd\\"')
  })

  it('makes self-signed certificates, not issued by the CA', async () => {
    const self = await pki.selfSigned('robot')
    const cert = new X509Certificate(self.cert)
    expect(cert.verify(cert.publicKey)).toBe(true)
    expect(cert.checkIssued(ca)).toBe(false)
    expect(cert.checkPrivateKey(createPrivateKey(self.key))).toBe(true)
  })

  it('makes expired certificates on request', async () => {
    for (const made of [
      await pki.issueClient('late', { validForDays: -1 }),
      await pki.selfSigned('late', { validForDays: -1 }),
    ]) {
      const cert = new X509Certificate(made.cert)
      expect(Date.parse(cert.validTo)).toBeLessThan(Date.now())
      expect(Date.parse(cert.validFrom)).toBeLessThan(Date.parse(cert.validTo))
    }
  })

  it('refuses an empty common name', async () => {
    await expect(pki.issueClient('')).rejects.toThrow(TypeError)
  })
})
