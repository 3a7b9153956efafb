import { describe, expect, it } from 'vitest'
import * as web from '../../src/request/binding-crypto-web.js'

describe('#binding-crypto on runtimes without node:crypto', () => {
  it('says it is unavailable, and every check refuses to run rather than answer', () => {
    expect(web.bindingCryptoAvailable).toBe(false)
    const calls = [
      () => web.sha256Base64url('x'),
      () => web.hmacSha256('secret', 'x', 16),
      () => web.sameBytes(new Uint8Array(1), new Uint8Array(1)),
      () => web.sameText('a', 'a'),
      () => web.decodeBytes('AA', 'base64'),
      () => web.encodeBase64url(new Uint8Array(1)),
      () => web.certificateDer('pem'),
    ]
    for (const call of calls) expect(call).toThrow('DPoP and mTLS checks need node:crypto')
    expect(web.utf8Length('é')).toBe(2)
  })
})
