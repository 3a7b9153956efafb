import { describe, expect, it, vi } from 'vitest'
import { PLAN } from './plan.js'
import { runDemo } from './run-demo.js'
import { serveInstructions } from './serve.js'
import { type DemoRow, formatTable, summarize } from './table.js'
import { FRAMEWORKS, startWorld } from './world.js'

/** Open TCP servers and sockets of this process. */
const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((resource) => resource.startsWith('TCP')).length

describe('runDemo', () => {
  it('answers every planned call as planned on every framework, prints the table and closes everything', async () => {
    const handlesBefore = tcpHandles()
    let printed = ''
    const rows = await runDemo({ output: { write: (text: string) => (printed += text) } })

    // Node releases a closed handle on a later turn of the event loop: poll (bounded) until it has.
    await vi.waitFor(() => expect(tcpHandles(), 'every server and socket closed').toBe(handlesBefore), {
      timeout: 2000,
      interval: 10,
    })
    expect(rows).toHaveLength(PLAN.length * FRAMEWORKS.length)
    for (const framework of FRAMEWORKS) {
      const mine = rows.filter((row) => row.framework === framework)
      expect(mine.map((row) => `${row.client} ${row.method} ${row.path} ${row.status}`)).toEqual([
        '(no token) GET /health 200',
        'billing GET /orders 200',
        'billing POST /orders 201',
        'reporting GET /orders/ord_1 200',
        'ops-console GET /orders/ord_1 200',
        'ops-console DELETE /orders/ord_2 204',
        'partner (Entra) GET /orders 200',
        '(no token) GET /orders 401',
        'billing GET /orders 401',
        '(forged token) GET /orders 401',
        '(unknown issuer) GET /orders 401',
        'reporting POST /orders 403',
        'intruder GET /orders/ord_1 403',
        'billing DELETE /orders/ord_1 403',
        'billing GET /orders 200',
        'billing GET /orders 503',
        'billing (DPoP) GET /orders 200',
        '(stolen DPoP token) GET /orders 401',
        '(stolen DPoP token) GET /orders 401',
        '(stolen DPoP proof) GET /orders 401',
        'billing (mTLS) GET /orders 200',
        '(stolen mTLS token) GET /orders 401',
        'payouts GET /orders 200',
        'payouts GET /orders 200',
        'payouts GET /orders 200',
        'payouts GET /orders 200',
        'payouts (replica 2) GET /orders 200',
        'payouts (v1 token) GET /orders 200',
      ])
      expect(mine.map((row) => row.why)).toEqual([
        'public route',
        'has orders:read (2 orders)',
        'has orders:write (created ord_3)',
        'has orders:read (any of orders:read, orders:admin)',
        'has orders:admin (any of orders:read, orders:admin)',
        'ops-console with orders:admin (admin route)',
        "partner's issuer, app role orders:read (2 orders)",
        'unauthorized: authentication required',
        'invalid_token: token expired',
        'invalid_token: invalid signature',
        'invalid_token: token issuer is not accepted',
        'insufficient_scope: missing required scope: orders:write',
        'insufficient_scope: requires one of the scopes: orders:read orders:admin',
        "insufficient_scope: client 'billing' is not allowed to access this resource",
        'JWKS down: a new token, verified with the keys cached before the outage',
        'JWKS down, a new instance with no keys: temporarily_unavailable (Retry-After: 30)',
        'DPoP: 401 use_dpop_nonce, then a proof with the nonce',
        'invalid_dpop_proof: the DPoP scheme needs a DPoP proof header',
        'invalid_token: DPoP proof key does not match the token binding',
        'invalid_dpop_proof: DPoP proof has been used before',
        'certificate-bound token from its certificate',
        'invalid_token: the client certificate does not match the token binding',
        // The rotation: which secret each token request carried, and what the issuer answered.
        'rotation: only v1 active, read from the store (token requests: v1 → 200)',
        'issuer added v2 (both active), deployment wrote v2: token renewed with v2 (token requests: v2 → 200)',
        'v1 revoked: the token it got with v2 still in use (no token request)',
        'token renewed after revocation with v2 (token requests: v2 → 200)',
        'its mount still had v1: invalid_client, read again, got v2 (token requests: v1 → 401, v2 → 200)',
        'token got with v1 before v1 was revoked: valid until exp; revoking concerns the secret (no token request)',
      ])
    }
    expect(rows.every((row) => row.status === row.expected)).toBe(true)

    expect(printed).toMatch(/^ {2}FRAMEWORK +CLIENT +CALL +STATUS +WHY$/m)
    expect(printed).toMatch(
      /^ {2}koa +reporting +POST {3}\/orders +403 +insufficient_scope: missing required scope: orders:write$/m,
    )
    expect(printed).toContain(
      '84 calls, all as planned: 48 allowed, 24 × 401, 9 × 403, 3 × 503. Express, Koa and Fastify answered alike.',
    )
    // The last table: verifier.usage() after the calls; refused calls (intruder's) count for nothing.
    const usage = printed.slice(printed.indexOf('  least privilege:'))
    expect(usage.split('\n').filter((line) => line.startsWith('    '))).toEqual([
      '    CLIENT                                ISSUER   CALLS  GRANTED                    NEVER NEEDED',
      '    billing                               local    4      orders:read orders:write   -',
      '    ops-console                           local    2      orders:admin               -',
      '    payouts                               local    6      orders:read                -',
      '    reporting                             local    1      orders:read orders:export  orders:export',
      '    7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910  partner  1      orders:read                -',
    ])
    expect(usage).toContain(
      '  reporting holds orders:read and orders:export; it never needed orders:export.\n',
    )
    // Ports vary from run to run; nothing else in the output does.
    expect(printed).not.toMatch(/127\.0\.0\.1/)
  }, 30_000)
})

const row = (framework: DemoRow['framework'], status: number, expected: number, why: string): DemoRow => ({
  framework,
  client: 'billing',
  method: 'GET',
  path: '/orders',
  status,
  expected,
  why,
})

describe('the table', () => {
  it('marks an answer that is not the planned one, in the table and the summary', () => {
    const rows = [
      row('express', 200, 200, 'ok'),
      row('koa', 500, 200, 'HTTP 500'),
      row('fastify', 200, 200, 'ok'),
    ]
    expect(formatTable(rows)).toEqual([
      '  FRAMEWORK  CLIENT   CALL         STATUS  WHY',
      '  express    billing  GET /orders  200     ok',
      '',
      '  koa        billing  GET /orders  500!    expected 200; got HTTP 500',
      '',
      '  fastify    billing  GET /orders  200     ok',
    ])
    expect(summarize(rows)).toBe(
      '3 calls, 1 NOT as planned (marked !): 2 allowed, 1 × 500. Express, Koa and Fastify did not all answer alike.',
    )
  })

  it('wraps the last column under itself to fit a width', () => {
    const lines = formatTable(
      [row('express', 403, 403, 'insufficient_scope: missing required scope: orders:write')],
      {
        width: 72,
      },
    )
    expect(lines.slice(1)).toEqual([
      '  express    billing  GET /orders  403     insufficient_scope: missing',
      '                                           required scope: orders:write',
    ])
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(72)
  })
})

describe('serveInstructions', () => {
  it('prints credentials and curl commands that work as printed', async () => {
    const world = await startWorld()
    try {
      const text = serveInstructions(world).join('\n')
      for (const api of world.apis) expect(text).toContain(api.url)
      expect(text).toContain(world.issuer.issuer)

      // Replay the first two commands as curl would send them.
      const get = /curl -s -u ([^:\s]+):(\S+) -d grant_type=client_credentials (\S+) \|/.exec(text)
      const list = /curl -i -H "Authorization: Bearer \$TOKEN" (\S+\/orders)$/m.exec(text)
      expect(get?.[1]).toBe('billing')
      const [, id = '', secret = '', tokenEndpoint = ''] = get ?? []
      const tokenResponse = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`${id}:${secret}`)}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      })
      expect(tokenResponse.status).toBe(200)
      const { access_token } = (await tokenResponse.json()) as { access_token: string }
      const response = await fetch(list?.[1] ?? '', { headers: { authorization: `Bearer ${access_token}` } })
      expect(response.status).toBe(200)
      await response.body?.cancel()

      // The partner's command: an Entra-shaped token, asked for as Entra wants (scope=…/.default).
      const partnerGet =
        /curl -s -u (\S+):(\S+) -d grant_type=client_credentials -d scope=(\S+) (\S+) \|/.exec(text)
      const [, partnerId = '', partnerSecret = '', scope = '', partnerEndpoint = ''] = partnerGet ?? []
      expect(partnerEndpoint).toBe(world.partner.tokenEndpoint)
      const partnerResponse = await fetch(partnerEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`${partnerId}:${partnerSecret}`)}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
      })
      const partnerToken = ((await partnerResponse.json()) as { access_token: string }).access_token
      const koa = world.apis.find((api) => api.framework === 'koa')?.url
      const asPartner = await fetch(`${koa}/orders`, { headers: { authorization: `Bearer ${partnerToken}` } })
      expect(asPartner.status).toBe(200)
      await asPartner.body?.cancel()
    } finally {
      await world.close()
    }
  })
})
