import { createHash, createPublicKey, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { TokenRequestError } from './errors.js'
import type { Credentials } from './resolve-options.js'
import type { SigningKey } from './signing-key.js'

/**
 * What client authentication adds to a token request: headers and form parameters.
 *
 * @example
 * ```ts
 * const { headers, params, secrets } = await authenticate('https://auth.example.com/token')
 * ```
 */
export interface ClientAuthentication {
  headers: Record<string, string>
  params: Array<[string, string]>
  /** Values that must never appear in an error, even if the server echoes them back. */
  secrets: string[]
  /**
   * Identifies the credential used (a hash, never the credential itself), so that a re-read after
   * `invalid_client` can tell a rotated credential from the same one.
   */
  fingerprint: string
}

function hash(...parts: Array<string | Buffer>): string {
  const digest = createHash('sha256')
  for (const part of parts) digest.update(part).update('\0')
  return digest.digest('base64url')
}

function keyFingerprint(signingKey: SigningKey): string {
  const spki = createPublicKey(signingKey.key).export({ type: 'spki', format: 'der' })
  return hash(spki, signingKey.algorithm, signingKey.keyId ?? '')
}

/** Lifetime of a client assertion: long enough to reach the server, too short to be worth stealing. */
const ASSERTION_LIFETIME_SECONDS = 60
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * `application/x-www-form-urlencoded` encoding of one value, as RFC 6749 §2.3.1 requires for the
 * client id and secret before they are joined and base64-encoded for HTTP Basic.
 *
 * @example
 * ```ts
 * formEncode('a b:c') // 'a+b%3Ac'
 * ```
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

/**
 * The `Authorization` header value for client_secret_basic.
 *
 * @example
 * ```ts
 * basicCredentials('billing', 's3cr3t') // 'Basic YmlsbGluZzpzM2NyM3Q='
 * ```
 */
export function basicCredentials(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`
}

/**
 * Returns a function that authenticates one token request for the configured method, reading the
 * credential anew each time (it may be a function, for rotation). For private_key_jwt it signs a
 * fresh RFC 7523 assertion each time: `iss` = `sub` = client id, `aud` = the token endpoint, a unique
 * `jti` (servers may reject replays), and a short `exp`.
 *
 * @example
 * ```ts
 * const authenticate = createClientAuthentication(credentials, Date.now)
 * const { headers, params } = await authenticate(tokenEndpoint)
 * ```
 */
export function createClientAuthentication(
  credentials: Credentials,
  clock: () => number,
): (tokenEndpoint: string) => Promise<ClientAuthentication> {
  switch (credentials.method) {
    // RFC 8705 §2: the certificate (presented by the TLS layer) authenticates; the form names the client.
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      return async () => ({
        headers: {},
        params: [['client_id', credentials.clientId]],
        secrets: [],
        fingerprint: '',
      })
    case 'client_secret_basic':
      return async () => {
        const secret = await credentials.secret.read()
        const header = basicCredentials(credentials.clientId, secret)
        return {
          headers: { authorization: header },
          params: [],
          secrets: [secret, formEncode(secret), header.slice('Basic '.length)],
          fingerprint: hash(secret),
        }
      }
    case 'client_secret_post':
      return async () => {
        const secret = await credentials.secret.read()
        return {
          headers: {},
          params: [
            ['client_id', credentials.clientId],
            ['client_secret', secret],
          ],
          // Also as it appears in the form, in case the server echoes the body back.
          secrets: [secret, formEncode(secret)],
          fingerprint: hash(secret),
        }
      }
    case 'private_key_jwt': {
      const { clientId } = credentials
      return async (tokenEndpoint) => {
        const signingKey = await credentials.signingKey.read()
        const now = Math.floor(clock() / 1000)
        let assertion: string
        try {
          assertion = await new SignJWT({})
            .setProtectedHeader({
              alg: signingKey.algorithm,
              typ: 'JWT',
              ...(signingKey.keyId === undefined ? {} : { kid: signingKey.keyId }),
            })
            .setIssuer(clientId)
            .setSubject(clientId)
            .setAudience(tokenEndpoint)
            .setJti(randomUUID())
            .setIssuedAt(now)
            .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
            .sign(signingKey.key)
        } catch (cause) {
          throw new TokenRequestError('could not sign the client assertion', {
            reason: 'assertion_failed',
            cause,
          })
        }
        return {
          headers: {},
          params: [
            ['client_id', clientId],
            ['client_assertion_type', ASSERTION_TYPE],
            ['client_assertion', assertion],
          ],
          secrets: [assertion],
          fingerprint: keyFingerprint(signingKey),
        }
      }
    }
  }
}
