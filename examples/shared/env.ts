/**
 * Configuration of an example API from the environment. The examples read
 * `process.env`; the library never does: it takes options.
 */

export interface ApiConfig {
  /** Expected `iss` of tokens, e.g. `https://auth.example.com`. The JWKS is discovered from it. */
  issuer: string
  /** Expected `aud`: this API's identifier at the authorization server. */
  audience: string
  port: number
  host: string
}

/**
 * Reads ISSUER, AUDIENCE, PORT (default 3000) and HOST (default 127.0.0.1).
 * Throws an Error that names the missing or bad variable.
 *
 * @example
 * readApiConfig({ ISSUER: 'http://127.0.0.1:4000', AUDIENCE: 'https://orders.example' })
 */
export function readApiConfig(env: Record<string, string | undefined>): ApiConfig {
  const issuer = required(env, 'ISSUER')
  const audience = required(env, 'AUDIENCE')
  const port = Number(env.PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got ${JSON.stringify(env.PORT)}`)
  }
  return { issuer, audience, port, host: env.HOST ?? '127.0.0.1' }
}

/** The variable's value, or an Error naming it. */
export function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}

/** The verifier's sender-constrained options an example API reads from its environment. */
export interface BindingConfig {
  dpop?: { required: boolean; nonce?: { secret: string } }
}

/**
 * Reads DPOP (`allowed`: DPoP-bound and Bearer tokens; `required`: DPoP only) and
 * DPOP_NONCE_SECRET (the API hands out `DPoP-Nonce`s, RFC 9449 §9). Unset: Bearer only.
 *
 * @example
 * createVerifier({ issuer, audience, ...readBindingConfig({ DPOP: 'allowed' }) })
 */
export function readBindingConfig(env: Record<string, string | undefined>): BindingConfig {
  const mode = env.DPOP
  if (mode === undefined || mode === '') return {}
  if (mode !== 'allowed' && mode !== 'required') {
    throw new Error(`DPOP must be "allowed" or "required", got ${JSON.stringify(mode)}`)
  }
  const secret = env.DPOP_NONCE_SECRET
  return { dpop: { required: mode === 'required', ...(secret ? { nonce: { secret } } : {}) } }
}
