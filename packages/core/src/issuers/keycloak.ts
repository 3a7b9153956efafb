/**
 * Keycloak service accounts: `iss` is `{url}/realms/{realm}` (older
 * distributions put `/auth` before `/realms`: include it in `url`), keys at
 * `{issuer}/protocol/openid-connect/certs`. The client is in `client_id`
 * (clients created since 2023), `azp`, or `clientId` (older clients); scopes
 * in `scope`. Keycloak puts the API in `aud` only with an Audience mapper;
 * without one `aud` is often `account`, which every client of the realm can
 * get, so the preset refuses `account` as the audience. (research/providers.md
 * §5: keycloak/keycloak#16329, #31806, #42407.)
 */
import {
  audienceArgument,
  httpsUrlArgument,
  type PresetProfile,
  presetArguments,
  requiredString,
} from './preset-arguments.js'

/** Arguments of {@link keycloak}. */
export interface KeycloakOptions {
  /** The server's base URL as clients reach it (`iss` follows the host name): `https://kc.example.com`. */
  url: string
  /** The realm's name: `acme`. */
  realm: string
  /** The audience an Audience mapper puts in the tokens: this API's client id or URL. */
  audience: string | readonly string[]
}

/**
 * An issuer profile for a Keycloak realm's client-credentials tokens. Spread
 * it and override any field.
 *
 * @example
 * createVerifier({ issuers: [keycloak({ url: 'https://kc.example.com', realm: 'acme', audience: 'orders-api' })] })
 */
export function keycloak(options: KeycloakOptions): PresetProfile {
  const args = presetArguments('keycloak', options, ['url', 'realm', 'audience'])
  const url = httpsUrlArgument('keycloak', 'url', args.url, 'https://kc.example.com')
  const realm = requiredString('keycloak', 'realm', args.realm, 'acme')
  if (realm.includes('/')) {
    throw new TypeError(
      `keycloak() argument "realm" must be the realm's name, without slashes (got ${JSON.stringify(realm)})`,
    )
  }
  const audience = audienceArgument('keycloak', args.audience, 'orders-api')
  if ([audience].flat().includes('account')) {
    throw new TypeError(
      'keycloak() argument "audience" must not be "account": every client of the realm gets tokens for it; add an Audience mapper that puts this API in "aud", and give that audience',
    )
  }
  const issuer = `${url.origin}${url.pathname.replace(/\/+$/, '')}/realms/${realm}`
  return {
    issuer,
    audience,
    jwksUri: `${issuer}/protocol/openid-connect/certs`,
    clientIdClaims: ['client_id', 'azp', 'clientId'],
    scopeClaims: ['scope'],
  }
}
