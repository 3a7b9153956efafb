/**
 * Okta custom authorization servers: `iss` is `https://{okta}/oauth2/{id}`
 * (`default` is the built-in one), keys at `{issuer}/v1/keys`, the client in
 * `cid`, scopes in an `scp` array. Tokens of the org authorization server
 * (`iss` without `/oauth2/`) are meant for Okta's own APIs: Okta says to
 * treat them as opaque, and does not publish their keys, so the preset
 * refuses such an issuer. (research/providers.md §2: Okta's "validate access
 * tokens" guide and OIDC reference.)
 */
import {
  audienceArgument,
  httpsUrlArgument,
  type PresetProfile,
  presetArguments,
} from './preset-arguments.js'

/** Arguments of {@link okta}. */
export interface OktaOptions {
  /** The custom authorization server's issuer: `https://acme.okta.com/oauth2/default`. */
  issuer: string
  /** The authorization server's audience (`api://default` for the default one). */
  audience: string | readonly string[]
}

// A custom authorization server id: `default` or an id such as `aus1a2b3c4d5E6f7g8h9`.
const CUSTOM_SERVER_PATH = /^\/oauth2\/([A-Za-z0-9]+)$/

/**
 * An issuer profile for an Okta custom authorization server's
 * client-credentials tokens. Spread it and override any field.
 *
 * @example
 * createVerifier({ issuers: [okta({ issuer: 'https://acme.okta.com/oauth2/default', audience: 'api://default' })] })
 */
export function okta(options: OktaOptions): PresetProfile {
  const args = presetArguments('okta', options, ['issuer', 'audience'])
  const url = httpsUrlArgument('okta', 'issuer', args.issuer, 'https://acme.okta.com/oauth2/default')
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
    throw new TypeError(
      `okta() argument "issuer" must not end with a slash: Okta writes "iss" without one (got ${JSON.stringify(args.issuer)})`,
    )
  }
  const match = CUSTOM_SERVER_PATH.exec(url.pathname)
  if (match === null || match[1] === 'v1') {
    throw new TypeError(
      `okta() argument "issuer" must be a custom authorization server, https://{your Okta domain}/oauth2/{server id} such as "https://acme.okta.com/oauth2/default"; ` +
        `${JSON.stringify(args.issuer)} looks like the org authorization server, whose tokens are for Okta's own APIs and cannot be verified by yours`,
    )
  }
  const issuer = `${url.origin}${url.pathname}`
  return {
    issuer,
    audience: audienceArgument('okta', args.audience, 'api://default'),
    jwksUri: `${issuer}/v1/keys`,
    clientIdClaims: ['cid'],
    scopeClaims: ['scp', 'scope'],
  }
}
