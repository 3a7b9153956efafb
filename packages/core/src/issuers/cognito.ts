/**
 * Amazon Cognito user pools: `iss` is
 * `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`, keys at
 * `{issuer}/.well-known/jwks.json`. Access tokens have no `aud` and no
 * `typ`; the client is in `client_id`, scopes in `scope`
 * (`{resource server}/{scope}`). An ID token of the same pool has the same
 * issuer and keys, so `token_use: 'access'` is required, and the app client
 * allowlist (`clientIds`) stands in for the audience. (research/providers.md
 * §4: the Cognito developer guide's access-token page; aws-jwt-verify.)
 */
import { type PresetProfile, presetArguments, requiredString } from './preset-arguments.js'

/** Arguments of {@link cognito}. */
export interface CognitoOptions {
  /** The pool's AWS region: `eu-west-1`. */
  region: string
  /** The user pool id: `eu-west-1_AbC123`. */
  userPoolId: string
  /** The app clients whose tokens this API accepts (access tokens carry no audience). */
  clientIds: readonly string[]
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/
const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+)_[A-Za-z0-9]+$/

/**
 * An issuer profile for a Cognito user pool's client-credentials access
 * tokens. Spread it and override any field.
 *
 * @example
 * createVerifier({ issuers: [cognito({ region: 'eu-west-1', userPoolId: 'eu-west-1_AbC123', clientIds: ['4p0abc…'] })] })
 */
export function cognito(options: CognitoOptions): PresetProfile {
  const args = presetArguments('cognito', options, ['region', 'userPoolId', 'clientIds'])
  const region = requiredString('cognito', 'region', args.region, 'eu-west-1')
  if (!REGION.test(region)) {
    throw new TypeError(
      `cognito() argument "region" must be an AWS region such as "eu-west-1" (got ${JSON.stringify(region)})`,
    )
  }
  const userPoolId = requiredString('cognito', 'userPoolId', args.userPoolId, `${region}_AbC123`)
  const pool = POOL_ID.exec(userPoolId)
  if (pool === null || pool[1] !== region) {
    throw new TypeError(
      `cognito() argument "userPoolId" must be a user pool id of region ${region}, such as "${region}_AbC123" (got ${JSON.stringify(userPoolId)})`,
    )
  }
  const { clientIds } = args
  if (
    !Array.isArray(clientIds) ||
    clientIds.length === 0 ||
    clientIds.some((id) => typeof id !== 'string' || id === '')
  ) {
    throw new TypeError(
      'cognito() argument "clientIds" is required: the app client ids whose tokens this API accepts (Cognito access tokens have no audience, so the client stands in for it)',
    )
  }
  const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`
  return {
    issuer,
    audience: null,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientIdClaims: ['client_id'],
    scopeClaims: ['scope'],
    clients: [...(clientIds as string[])],
    requiredClaims: { token_use: 'access' },
  }
}
