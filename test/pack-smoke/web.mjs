// Web-standard APIs only, so the same file runs on Node, Bun and Deno: the
// fetch gate and a Hono app guard a route, with tokens signed by WebCrypto.
import { AuthError } from '@m2m-guard/core'
import { AuthError as FetchAuthError, createGuard as fetchGuard } from '@m2m-guard/fetch'
import { createGuard as honoGuard } from '@m2m-guard/hono'
import { Hono } from 'hono'

const issuer = 'https://auth.example.com'
const audience = 'https://orders.example.com'
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const { privateKey, publicKey } = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])
const jwk = await crypto.subtle.exportKey('jwk', publicKey)
const jwks = {
  keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: 'smoke', alg: 'ES256', use: 'sig' }],
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
const encode = (value) => base64url(new TextEncoder().encode(JSON.stringify(value)))
async function mint(claims) {
  const now = Math.floor(Date.now() / 1000)
  const input = `${encode({ alg: 'ES256', kid: 'smoke' })}.${encode({ iss: issuer, aud: audience, iat: now, exp: now + 60, ...claims })}`
  const signature = await crypto.subtle.sign(algorithm, privateKey, new TextEncoder().encode(input))
  return `${input}.${base64url(new Uint8Array(signature))}`
}

function check(condition, message) {
  if (!condition)
    throw new Error(`${message} (${globalThis.Bun ? 'bun' : globalThis.Deno ? 'deno' : 'node'})`)
}

const token = await mint({ client_id: 'billing', scope: 'orders:read' })
const request = (authorization) =>
  new Request('https://orders.example.com/orders', authorization ? { headers: { authorization } } : {})
check(FetchAuthError === AuthError, 'one AuthError class')

const gate = fetchGuard({ issuer, audience, jwks }).protect({ scopes: ['orders:read'] }, (_request, auth) =>
  Response.json({ client: auth.clientId }),
)
const refused = await gate(request())
check(
  refused.status === 401 && refused.headers.get('www-authenticate') === 'Bearer',
  'fetch gate: 401 challenge',
)
check((await (await gate(request(`Bearer ${token}`))).json()).client === 'billing', 'fetch gate: admitted')

const app = new Hono()
app.get('/orders', honoGuard({ issuer, audience, jwks }).require({ scopes: ['orders:write'] }), (c) =>
  c.text('ok'),
)
const forbidden = await app.fetch(request(`Bearer ${token}`))
check(forbidden.status === 403, 'hono: 403 without the scope')
check((await forbidden.json()).error === 'insufficient_scope', 'hono: insufficient_scope body')
console.log('web: ok')
