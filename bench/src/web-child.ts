/**
 * The web suite's child: the fetch gate and Hono, in process, on whichever
 * runtime runs this file (Node, or Bun on the same compiled file). Each
 * operation builds a `Request` with an Authorization header and awaits the
 * handler's `Response`, so the bare handlers pay for the same Request and
 * Response as the guarded ones. Tokens are RS256, signed here with WebCrypto;
 * the keys are a local JWKS, so no network is involved. Repeats are
 * interleaved. Prints one JSON `WebSample[]` on stdout.
 *
 *   node dist/web-child.js '{"durationMs":100,"repeats":5,"poolSize":2000}'
 */
import type { webcrypto } from 'node:crypto'
import { createVerifier } from '@m2m-guard/core'
import { createGuard as createFetchGuard } from '@m2m-guard/fetch'
import { createGuard as createHonoGuard } from '@m2m-guard/hono'
import { Hono } from 'hono'

export interface WebRequest {
  durationMs: number
  repeats: number
  /** Distinct tokens; the verifier's token cache holds half as many, so every distinct-token lookup misses. */
  poolSize: number
}

export type WebVariant = 'bare fetch handler' | 'fetch gate' | 'bare Hono' | 'Hono + guard'
export type WebWorkload = 'reused-token' | 'distinct-tokens'

export interface WebSample {
  variant: WebVariant
  workload: WebWorkload
  /** Operations per second, one per repeat. */
  opsPerSecond: number[]
}

const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'https://orders.example.com'
const RS256 = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
}

const base64url = (bytes: Uint8Array) => {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
const encode = (value: unknown) => base64url(new TextEncoder().encode(JSON.stringify(value)))

async function tokens(count: number) {
  const { privateKey, publicKey } = (await crypto.subtle.generateKey(RS256, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair
  const jwk = await crypto.subtle.exportKey('jwk', publicKey)
  const now = Math.floor(Date.now() / 1000)
  const header = encode({ alg: 'RS256', kid: 'bench', typ: 'at+jwt' })
  const minted: string[] = []
  for (let i = 0; i < count; i++) {
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      client_id: 'billing',
      scope: 'orders:read',
      iat: now,
      exp: now + 3600,
      jti: `t${i}`,
    }
    const input = `${header}.${encode(claims)}`
    const signature = await crypto.subtle.sign(RS256, privateKey, new TextEncoder().encode(input))
    minted.push(`${input}.${base64url(new Uint8Array(signature))}`)
  }
  return {
    jwks: { keys: [{ kty: 'RSA', n: jwk.n, e: jwk.e, kid: 'bench', alg: 'RS256', use: 'sig' }] },
    minted,
  }
}

type Handler = (request: Request) => Response | Promise<Response>

function handlers(jwks: unknown, tokenCache: number | undefined): Record<WebVariant, Handler> {
  const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: jwks as never, tokenCache })
  const requirement = { scopes: ['orders:read'] }
  const bareHono = new Hono()
  bareHono.get('/orders', (c) => c.json({ ok: true }))
  const guardedHono = new Hono()
  guardedHono.get('/orders', createHonoGuard(verifier).require(requirement), (c) =>
    c.json({ client: c.var.auth.clientId }),
  )
  return {
    'bare fetch handler': () => Response.json({ ok: true }),
    'fetch gate': createFetchGuard(verifier).protect(requirement, (_request, auth) =>
      Response.json({ client: auth.clientId }),
    ),
    'bare Hono': (request) => bareHono.fetch(request),
    'Hono + guard': (request) => guardedHono.fetch(request),
  }
}

async function opsPerSecond(handler: Handler, pool: string[], durationMs: number): Promise<number> {
  let i = 0
  let done = 0
  const start = performance.now()
  while (performance.now() - start < durationMs) {
    for (let k = 0; k < 64; k++) {
      const token = pool[i++ % pool.length] as string
      const response = await handler(
        new Request('http://127.0.0.1/orders', { headers: { authorization: `Bearer ${token}` } }),
      )
      if (response.status !== 200) throw new Error(`answered ${response.status}`)
    }
    done += 64
  }
  return done / ((performance.now() - start) / 1000)
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as WebRequest
  const { jwks, minted } = await tokens(request.poolSize)
  const workloads: Record<WebWorkload, { pool: string[]; variants: Record<WebVariant, Handler> }> = {
    'reused-token': { pool: minted.slice(0, 1), variants: handlers(jwks, undefined) },
    'distinct-tokens': {
      pool: minted,
      variants: handlers(jwks, Math.max(1, Math.floor(request.poolSize / 2))),
    },
  }
  const samples: WebSample[] = []
  for (const [workload, { pool, variants }] of Object.entries(workloads) as [
    WebWorkload,
    (typeof workloads)[WebWorkload],
  ][]) {
    for (const variant of Object.keys(variants) as WebVariant[]) {
      samples.push({ variant, workload, opsPerSecond: [] })
      await opsPerSecond(variants[variant], pool, Math.min(50, request.durationMs)) // warm-up: JIT, key import
    }
    for (let repeat = 0; repeat < request.repeats; repeat++) {
      for (const variant of Object.keys(variants) as WebVariant[]) {
        const sample = samples.find(
          (entry) => entry.variant === variant && entry.workload === workload,
        ) as WebSample
        sample.opsPerSecond.push(await opsPerSecond(variants[variant], pool, request.durationMs))
      }
    }
  }
  process.stdout.write(`${JSON.stringify(samples)}\n`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
