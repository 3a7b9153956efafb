/**
 * PingOne: `iss` is `https://auth.pingone.{region}/{environmentId}/as`,
 * keys at `{issuer}/jwks`, the client in `client_id`, scopes in `scope`, the
 * resource in `aud`. Client-credentials tokens have no `sub`.
 * (research/providers.md §8: PingOne's token-claims reference.)
 */
import { isGuid } from './issuer-template.js'
import { audienceArgument, type PresetProfile, presetArguments, requiredString } from './preset-arguments.js'

/** Arguments of {@link pingone}. */
export interface PingOneOptions {
  /** The environment id (a UUID). */
  environmentId: string
  /** The region's top-level domain: `com` (default), `eu`, `ca` or `asia`. */
  region?: 'com' | 'eu' | 'ca' | 'asia' | undefined
  /** The resource's audience, as configured in PingOne. */
  audience: string | readonly string[]
}

const REGIONS = ['com', 'eu', 'ca', 'asia']

/**
 * An issuer profile for a PingOne environment's client-credentials tokens.
 * Spread it and override any field (another region's issuer, say).
 *
 * @example
 * createVerifier({ issuers: [pingone({ environmentId: 'd8f1c2a0-3b4e-4f5a-8c9d-0e1f2a3b4c5d', region: 'eu', audience: 'https://orders.example.com' })] })
 */
export function pingone(options: PingOneOptions): PresetProfile {
  const args = presetArguments('pingone', options, ['environmentId', 'region', 'audience'])
  const environmentId = requiredString(
    'pingone',
    'environmentId',
    args.environmentId,
    'd8f1c2a0-3b4e-4f5a-8c9d-0e1f2a3b4c5d',
  )
  if (!isGuid(environmentId)) {
    throw new TypeError(
      `pingone() argument "environmentId" must be the environment's id (a UUID), got ${JSON.stringify(environmentId)}`,
    )
  }
  const region = args.region ?? 'com'
  if (typeof region !== 'string' || !REGIONS.includes(region)) {
    throw new TypeError(
      `pingone() argument "region" must be one of ${REGIONS.map((r) => `"${r}"`).join(', ')} (got ${JSON.stringify(region)})`,
    )
  }
  const issuer = `https://auth.pingone.${region}/${environmentId}/as`
  return {
    issuer,
    audience: audienceArgument('pingone', args.audience, 'https://orders.example.com'),
    jwksUri: `${issuer}/jwks`,
    clientIdClaims: ['client_id'],
    scopeClaims: ['scope'],
  }
}
