/**
 * The demo's sender-constrained parts: billing's DPoP token client (its calls recorded, so the demo
 * can show the nonce round trip and replay a proof it sent), a thief's DPoP key, and throwaway
 * certificates for an HTTPS instance of each API that asks for client certificates.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { RequestListener } from 'node:http'
import { createServer as createHttpsServer, type Server } from 'node:https'
import { createTokenClient, type TokenClient } from '@m2m-guard/client'
import { type ClientCertificate, createTestCertificates } from '@m2m-guard/testing'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { Agent } from 'undici'

/** One call billing's DPoP client made to an API: what it sent and what it got. */
export interface SentCall {
  readonly url: string
  readonly authorization: string | null
  readonly dpop: string | null
  readonly status: number
  readonly error: string | null
}

export interface BoundParts {
  /** The API's DPoP nonce secret (RFC 9449 §9: nonces derived from it and the time). */
  readonly nonceSecret: string
  /** billing with `dpop: true`: its tokens are bound to a key only it holds. */
  readonly dpopBilling: { readonly tokens: TokenClient; readonly sent: SentCall[] }
  /** A proof for `token` signed with a key that is not the one the token is bound to. */
  thiefProof(method: string, url: string, token: string, nonce?: string): Promise<string>
  readonly certificates: {
    readonly ca: string
    readonly billing: ClientCertificate
    readonly stranger: ClientCertificate
  }
  /** Serves `listener` over HTTPS on 127.0.0.1:0, asking for client certificates. */
  serveHttps(listener: RequestListener): Promise<{ url: string; close(): Promise<void> }>
  /** A fetch presenting `certificate`, trusting the demo CA. */
  fetchWithCertificate(certificate: ClientCertificate): typeof fetch
  close(): Promise<void>
}

export async function startBoundParts(tokenEndpoint: string, billingSecret: string): Promise<BoundParts> {
  const pki = await createTestCertificates()
  const [billing, stranger] = [await pki.issueClient('billing'), await pki.issueClient('stranger')]
  const sent: SentCall[] = []
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    const url = String(input)
    if (url !== tokenEndpoint) {
      const headers = new Headers(init?.headers)
      const challenge = response.headers.get('www-authenticate') ?? ''
      sent.push({
        url,
        authorization: headers.get('authorization'),
        dpop: headers.get('dpop'),
        status: response.status,
        error: /error="([^"]+)"/.exec(challenge)?.[1] ?? null,
      })
    }
    return response
  }
  const tokens = createTokenClient({
    tokenEndpoint,
    clientId: 'billing',
    clientSecret: billingSecret,
    dpop: true,
    fetch: recording,
  })
  const thief = await generateKeyPair('ES256', { extractable: true })
  const thiefJwk: JWK = await exportJWK(thief.publicKey)
  const agents: Agent[] = []
  const servers: Server[] = []
  return {
    nonceSecret: randomBytes(32).toString('base64url'),
    dpopBilling: { tokens, sent },
    thiefProof: (method, url, token, nonce) => proof(thief.privateKey, thiefJwk, method, url, token, nonce),
    certificates: { ca: pki.ca, billing, stranger },
    async serveHttps(listener) {
      const server = createHttpsServer(
        { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: false },
        listener,
      )
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      return {
        url: `https://127.0.0.1:${port}`,
        close: () => closeServer(server),
      }
    },
    fetchWithCertificate(certificate) {
      // No TLS session resumption: a resumed session may hide the certificate from the server.
      const dispatcher = new Agent({
        connect: { ca: pki.ca, cert: certificate.cert, key: certificate.key, maxCachedSessions: 0 },
      })
      agents.push(dispatcher)
      return (input, init) => fetch(input, { ...init, dispatcher } as unknown as RequestInit)
    },
    async close() {
      await Promise.all(servers.map(closeServer))
      await Promise.all(agents.map((agent) => agent.close()))
    },
  }
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

async function proof(
  key: CryptoKey,
  jwk: JWK,
  method: string,
  url: string,
  token: string,
  nonce: string | undefined,
): Promise<string> {
  const ath = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))).toString(
    'base64url',
  )
  return new SignJWT({ htm: method, htu: url, ath, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
    .setIssuedAt()
    .sign(key)
}
