import { describe, expect, it } from 'vitest'
import { requestUrl } from '../../src/adapter.js'
import { normaliseHtu } from '../../src/request/dpop-htu.js'

describe('requestUrl', () => {
  it.each([
    ['http', 'api.example.com', '/orders', 'http://api.example.com/orders'],
    ['https', 'api.example.com:8443', '/orders?page=2', 'https://api.example.com:8443/orders?page=2'],
    ['http', '127.0.0.1:3000', '/', 'http://127.0.0.1:3000/'],
    ['https', '[::1]:8443', '/orders', 'https://[::1]:8443/orders'],
    ['https', 'orders_v2.internal', '//double/slash', 'https://orders_v2.internal//double/slash'],
  ])('%s %s %s is %s', (protocol, host, target, url) => {
    expect(requestUrl(protocol, host, target)).toBe(url)
  })

  // Each host would move the path a DPoP proof's htu is compared with, or name another host.
  it.each([
    'api.example.com/orders?',
    'api.example.com/orders#',
    'api.example.com/orders/..',
    'api.example.com\\orders',
    'user@api.example.com',
    'api.example.com:80:81',
    'api.example.com:123456',
    'api.example.com ',
    'api.example.com\r\nx: y',
    '[::1',
    'api.example.com%2forders',
    '',
  ])('refuses the host %j', (host) => {
    expect(requestUrl('https', host, '/admin')).toBe('')
  })

  // URL normalisation resolves these, the frameworks' routers do not: the proof's htu would name another route.
  it.each([
    '/admin/../orders',
    '/admin/%2e%2e/orders',
    '/admin/.%2E/orders',
    '/admin/./orders',
    '/admin/..',
    '/admin\\..\\orders',
    '/ad%6din',
    '/orders%2Djson',
    '/%7Euser',
  ])('refuses the target %j', (target) => {
    expect(requestUrl('https', 'api.example.com', target)).toBe('')
  })

  it('keeps paths routers and normalisation read alike, and anything in the query', () => {
    for (const target of [
      '/.well-known/oauth-protected-resource',
      '/orders.json',
      '/a..b/c',
      '/orders/%2F/x',
      '/caf%C3%A9',
      '/orders?next=/admin/../x&q=%61',
      '/orders#/../x',
    ]) {
      expect(requestUrl('https', 'api.example.com', target)).toBe(`https://api.example.com${target}`)
    }
  })

  it('refuses no host, a target that is not a path, and a scheme other than http(s)', () => {
    expect(requestUrl('https', undefined, '/admin')).toBe('')
    expect(requestUrl('https', 'api.example.com', 'http://other.example/admin')).toBe('')
    expect(requestUrl('https', 'api.example.com', '*')).toBe('')
    expect(requestUrl('ftp', 'api.example.com', '/admin')).toBe('')
  })

  it('what it refuses is no URL to DPoP (the proof fails as for another URL)', () => {
    expect(normaliseHtu(requestUrl('https', 'api.example.com/orders?', '/admin'))).toBeUndefined()
    // Before: the Host's path won, and a proof for /orders passed on /admin.
    expect(normaliseHtu('https://api.example.com/orders?/admin')).toBe('https://api.example.com/orders')
  })
})
