import { randomUUID } from 'node:crypto'
import type { FlavorShape } from './flavors/shape.js'
import {
  asKeyObject,
  type PublicKeyFormat,
  publicKeyBytes,
  type SigningKeyInput,
  signCompact,
} from './jws-sign.js'
import type { KeyStore, SigningKey } from './keys.js'
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './options.js'

/**
 * How {@link AuthServer.mint} builds and signs a token. Every option exists to make a
 * specific kind of broken token; without options the token is valid.
 *
 * @example
 * ```ts
 * await server.mint({}, { expiresIn: -60 })                 // expired a minute ago
 * await server.mint({}, { key: 'foreign' })                 // signed by a key not in the JWKS
 * await server.mint({}, { omit: ['exp'], typ: 'JWT' })      // no exp, wrong typ
 * await server.mint({}, { header: { jku: 'https://evil.example/jwks' } })
 * ```
 */
export interface MintOptions {
  /** The `alg` header and signing algorithm; `'none'` gives an unsigned token. Default: the key's. */
  alg?: string
  /** The `kid` header; `null` leaves it out. Default: the signing key's kid. */
  kid?: string | null
  /** Which key signs: the current or previous server key, a never-published one, or your own. Default `'current'`. */
  key?: 'current' | 'previous' | 'foreign' | SigningKeyInput
  /** The `typ` header; `null` leaves it out. Default `'at+jwt'`, or the flavor's. */
  typ?: string | null
  /** Extra protected header fields (`jku`, `x5u`, `jwk`, `crit`, …); they win over the defaults. */
  header?: Record<string, unknown>
  /** Seconds from now until `exp`; negative for an expired token. Default: the token lifetime. */
  expiresIn?: number
  /** Seconds from now until `nbf`; positive for a token not yet valid. Default: no `nbf`. */
  notBefore?: number
  /** Claim names to leave out, e.g. `['exp']`. */
  omit?: string[]
}

/**
 * Options of {@link AuthServer.mintHmacWithPublicKey}: an algorithm-confusion token.
 *
 * @example
 * ```ts
 * await server.mintHmacWithPublicKey({}, { alg: 'HS512', format: 'der' })
 * ```
 */
export interface HmacConfusionOptions extends Omit<MintOptions, 'alg' | 'key'> {
  /** The HMAC algorithm. Default `'HS256'`. */
  alg?: 'HS256' | 'HS384' | 'HS512'
  /** Which bytes of the current public key serve as the secret. Default `'pem'`. */
  format?: PublicKeyFormat
}

/** What minting needs to know about the server. */
export interface MintContext {
  readonly issuer: string
  readonly audience: string
  readonly tokenLifetime: number
  readonly clock: () => number
  readonly keys: KeyStore
  /** A provider's shape: its claims and header instead of RFC 9068's. */
  readonly flavor?: FlavorShape | undefined
}

/** The `client_id` of minted tokens unless the claims name another. */
export const DEFAULT_MINT_CLIENT_ID = 'test-client'

/**
 * Builds claims and header from the defaults, the options and `claims` (which override
 * everything, wrong types included), then signs.
 *
 * @example
 * ```ts
 * const token = await mintToken(context, { scope: 'orders:read' }, { expiresIn: 60 })
 * ```
 */
export async function mintToken(
  context: MintContext,
  claims: Record<string, unknown> = {},
  options: MintOptions = {},
): Promise<string> {
  const now = Math.floor(context.clock() / 1000)
  const { flavor } = context
  const named = claims[flavor?.clientIdClaim ?? 'client_id']
  const clientId = typeof named === 'string' ? named : DEFAULT_MINT_CLIENT_ID
  const exp = now + (options.expiresIn ?? context.tokenLifetime)
  const payload: Record<string, unknown> = {
    ...(flavor === undefined
      ? {
          iss: context.issuer,
          sub: clientId,
          aud: context.audience,
          client_id: clientId,
          iat: now,
          exp,
          jti: randomUUID(),
        }
      : {
          ...flavor.claims(context.issuer, { clientId, scopes: undefined, audience: context.audience, now }),
          iat: now,
          exp,
        }),
    ...(options.notBefore === undefined ? {} : { nbf: now + options.notBefore }),
    ...claims,
  }
  for (const name of options.omit ?? []) delete payload[name]

  const serverKey = await resolveServerKey(context.keys, options)
  const alg = options.alg ?? serverKey?.alg ?? 'RS256'
  const header: Record<string, unknown> & { alg: string } = { alg }
  const typ = options.typ === undefined ? (flavor === undefined ? 'at+jwt' : flavor.typ) : options.typ
  if (typ !== null) header.typ = typ
  const kid = options.kid === undefined ? defaultKid(serverKey, options.key) : options.kid
  if (kid !== null && kid !== undefined) header.kid = kid
  Object.assign(header, flavor?.header?.(kid ?? undefined), options.header)

  if (serverKey === undefined) return signCompact(payload, header, options.key as SigningKeyInput)
  if (serverKey === context.keys.current) context.keys.noteSigned(serverKey, payload.exp)
  const key = header.alg === serverKey.alg ? serverKey.privateKey : asKeyObject(serverKey.privateKey)
  return signCompact(payload, header, key)
}

/**
 * An HS* token whose secret is the current public key: what an attacker forges against a
 * verifier that lets the token's `alg` pick how the key is used.
 *
 * @example
 * ```ts
 * const forged = await mintHmacWithPublicKey(context, { scope: 'admin' })
 * ```
 */
export async function mintHmacWithPublicKey(
  context: MintContext,
  claims: Record<string, unknown> = {},
  options: HmacConfusionOptions = {},
): Promise<string> {
  const { format = 'pem', alg = 'HS256', ...rest } = options
  const current = context.keys.current
  const secret = await publicKeyBytes(current.publicKey, current.publicJwk, format)
  return mintToken(context, claims, { kid: current.kid, ...rest, alg, key: secret })
}

async function resolveServerKey(keys: KeyStore, options: MintOptions): Promise<SigningKey | undefined> {
  const choice = options.key ?? 'current'
  if (choice === 'current') return keys.current
  if (choice === 'previous') {
    if (keys.previous === undefined) throw new Error('mint: no previous key yet; call rotateKeys() first')
    return keys.previous
  }
  if (choice === 'foreign') {
    const alg = SIGNING_ALGORITHMS.find((known) => known === options.alg) ?? keys.current.alg
    return keys.foreign(alg as SigningAlgorithm)
  }
  if (typeof choice === 'string')
    throw new TypeError('mint: "key" must be current, previous, foreign or a key')
  return undefined
}

function defaultKid(serverKey: SigningKey | undefined, key: MintOptions['key']): string | undefined {
  if (serverKey !== undefined) return serverKey.kid
  const jwkKid = (key as { kid?: unknown } | undefined)?.kid
  return typeof jwkKid === 'string' ? jwkKid : undefined
}
