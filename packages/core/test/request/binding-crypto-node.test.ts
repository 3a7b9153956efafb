import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'

// RFC 6234's test vector for "abc", in base64url.
const ABC = 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'

afterEach(() => {
  vi.doUnmock('node:crypto')
  vi.resetModules()
})

describe('#binding-crypto on node:crypto: sha256Base64url', () => {
  it('hashes strings as UTF-8 and bytes as they are, as a Hash object does', async () => {
    const { sha256Base64url } = await import('../../src/request/binding-crypto-node.js')
    expect(sha256Base64url('abc')).toBe(ABC)
    expect(sha256Base64url(new TextEncoder().encode('abc'))).toBe(ABC)
    for (const input of ['', 'é', 'jkt.jti-1', 'x'.repeat(10_000)]) {
      expect(sha256Base64url(input)).toBe(createHash('sha256').update(input, 'utf8').digest('base64url'))
    }
  })

  it("gives the same digests on a runtime whose node:crypto has no one-shot 'hash'", async () => {
    vi.doMock('node:crypto', async (original) => ({
      ...(await original<typeof import('node:crypto')>()),
      hash: undefined,
    }))
    vi.resetModules()
    const nodeCrypto = await import('node:crypto')
    expect((nodeCrypto as { hash?: unknown }).hash).toBeUndefined()
    const { sha256Base64url } = await import('../../src/request/binding-crypto-node.js')
    expect(sha256Base64url('abc')).toBe(ABC)
    expect(sha256Base64url(new TextEncoder().encode('abc'))).toBe(ABC)
  })
})
