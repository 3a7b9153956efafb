/**
 * A local authorization server and verifiers that count how often they really
 * verify: what every adapter's guard tests need (Express, Koa, Fastify, fetch, Hono).
 */
import { createVerifier, type Verifier, type VerifierOptions } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'

export const AUDIENCE = 'https://orders.example'

export const startIssuer = (): Promise<AuthServer> => createAuthServer({ audience: AUDIENCE })

/** A verifier without token cache whose `verifications()` counts signature checks. */
export function countingVerifier(
  server: AuthServer,
  options: Partial<VerifierOptions> = {},
): { verifier: Verifier; verifications: () => number } {
  let count = 0
  const verifier = createVerifier({
    issuer: server.issuer,
    audience: AUDIENCE,
    jwksUri: server.jwksUri,
    tokenCache: false,
    onEvent: (event) => {
      if (event.type === 'token_verified') count++
    },
    ...options,
  })
  return { verifier, verifications: () => count }
}
