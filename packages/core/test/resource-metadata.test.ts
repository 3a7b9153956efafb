/**
 * RFC 9728 in core: the well-known URL (path insertion, §3.1), the document
 * (§2) with its defaults, `resource_metadata` in every 401 and 403 challenge
 * (§5.1) and in no other answer, and the option's validation.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthError,
  createVerifier,
  protectedResourceMetadataUrl,
  type Verifier,
  type VerifierOptions,
} from '../src/index.js'
import { AUDIENCE, createSigner, ISSUER, type Signer, validClaims } from './helpers/local-keys.js'
import { refusal } from './helpers/refusal.js'

const NOW = 1_900_000_000
const RESOURCE = 'https://orders.example.com/v1'
const METADATA = 'https://orders.example.com/.well-known/oauth-protected-resource/v1'

let signer: Signer
beforeAll(async () => {
  signer = await createSigner('ES256')
})

function verifierFor(options: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [signer.publicJwk] },
    clock: () => NOW * 1000,
    resourceMetadata: { resource: RESOURCE },
    ...options,
  } as VerifierOptions)
}

describe('the well-known URL (RFC 9728 §3.1)', () => {
  it.each([
    ['https://orders.example.com', 'https://orders.example.com/.well-known/oauth-protected-resource'],
    ['https://orders.example.com/', 'https://orders.example.com/.well-known/oauth-protected-resource'],
    ['https://orders.example.com/v1', 'https://orders.example.com/.well-known/oauth-protected-resource/v1'],
    ['https://orders.example.com/v1/', 'https://orders.example.com/.well-known/oauth-protected-resource/v1'],
    [
      'https://orders.example.com:8443/a/b',
      'https://orders.example.com:8443/.well-known/oauth-protected-resource/a/b',
    ],
    [
      'https://orders.example.com/api?tenant=x',
      'https://orders.example.com/.well-known/oauth-protected-resource/api?tenant=x',
    ],
  ])('%s → %s', (resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url)
  })
})

describe('the document (RFC 9728 §2)', () => {
  it('resource, authorization_servers, bearer_methods_supported; scopes from declared requirements', () => {
    const verifier = verifierFor({
      resourceMetadata: {
        resource: RESOURCE,
        resourceName: 'Orders API',
        documentation: 'https://docs.example.com/orders',
      },
    })
    expect(verifier.resourceMetadata()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders API',
      resource_documentation: 'https://docs.example.com/orders',
    })
    verifier.declare({ scopes: ['orders:read'] })
    verifier.declare({ anyScopes: ['orders:write', 'orders:read'], clients: ['billing'] })
    verifier.declare(undefined)
    expect(verifier.resourceMetadata()?.scopes_supported).toEqual(['orders:read', 'orders:write'])
  })

  it('scopesSupported given: exactly those, whatever routes declare', () => {
    const verifier = verifierFor({ resourceMetadata: { resource: RESOURCE, scopesSupported: ['a', 'b'] } })
    verifier.declare({ scopes: ['c'] })
    expect(verifier.resourceMetadata()?.scopes_supported).toEqual(['a', 'b'])
  })

  it('authorization_servers: every exact issuer of every profile, not the {tenantid} templates', () => {
    const verifier = createVerifier({
      issuers: [
        {
          issuer: ['https://a.example/', 'https://a2.example/'],
          audience: 'x',
          jwks: { keys: [signer.publicJwk] },
        },
        {
          issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
          audience: 'x',
          jwks: { keys: [signer.publicJwk] },
        },
      ],
      resourceMetadata: { resource: 'https://orders.example.com' },
    })
    expect(verifier.resourceMetadata()?.authorization_servers).toEqual([
      'https://a.example/',
      'https://a2.example/',
    ])
  })

  it('with DPoP and mTLS on: the proof algorithms, whether DPoP is required, certificate-bound tokens', () => {
    const bound = verifierFor({ dpop: { required: true, algorithms: ['ES256', 'EdDSA'] }, mtls: true })
    expect(bound.resourceMetadata()).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: true,
      tls_client_certificate_bound_access_tokens: true,
    })
    const optional = verifierFor({ dpop: true }).resourceMetadata()
    expect(optional?.dpop_signing_alg_values_supported?.length).toBeGreaterThan(0)
    expect(optional).not.toHaveProperty('dpop_bound_access_tokens_required')
    expect(optional).not.toHaveProperty('tls_client_certificate_bound_access_tokens')
    expect(verifierFor().resourceMetadata()).not.toHaveProperty('dpop_signing_alg_values_supported')
  })

  it('is undefined without the option', () => {
    expect(verifierFor({ resourceMetadata: undefined }).resourceMetadata()).toBeUndefined()
  })
})

describe('resource_metadata in challenges (RFC 9728 §5.1)', () => {
  const expectPointer = (error: AuthError) => {
    expect(error.wwwAuthenticate).toMatch(
      new RegExp(`, resource_metadata="${METADATA}"$|^Bearer resource_metadata="${METADATA}"$`),
    )
    expect(error.headers['WWW-Authenticate']).toBe(error.wwwAuthenticate)
  }

  it('401 without a token, 401 invalid_token, 403 insufficient_scope all point to the metadata', async () => {
    const verifier = verifierFor()
    const missing = await refusal(verifier.authenticate(undefined))
    expect(missing.wwwAuthenticate).toBe(`Bearer resource_metadata="${METADATA}"`)
    const expired = await refusal(verifier.verify(await signer.sign({ ...validClaims(NOW), exp: NOW - 60 })))
    expect(expired.status).toBe(401)
    expectPointer(expired)
    const token = await signer.sign(validClaims(NOW))
    const scope = await refusal(verifier.verify(token, { scopes: ['admin'] }))
    expect(scope.wwwAuthenticate).toBe(
      `Bearer error="insufficient_scope", error_description="missing required scope: admin", scope="admin", resource_metadata="${METADATA}"`,
    )
    // A cached token refused by a requirement: the same pointer.
    expectPointer(await refusal(verifier.authenticate(`Bearer ${token}`, { clients: ['other'] })))
  })

  it('not in a 400 or a 503, and nowhere without the option', async () => {
    const verifier = verifierFor()
    const malformed = await refusal(verifier.authenticate('Bearer a b'))
    expect(malformed.status).toBe(400)
    expect(malformed.wwwAuthenticate).not.toContain('resource_metadata')
    const down = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: 'https://keys.example.com/jwks',
      fetch: async () => new Response('down', { status: 503 }),
      resourceMetadata: { resource: RESOURCE },
    })
    const unavailable = await refusal(down.verify(await signer.sign(validClaims())))
    expect(unavailable.status).toBe(503)
    expect(unavailable.headers).not.toHaveProperty('WWW-Authenticate')
    const plain = await refusal(verifierFor({ resourceMetadata: undefined }).authenticate(undefined))
    expect(plain.wwwAuthenticate).toBe('Bearer')
  })
})

describe('the option', () => {
  it.each<[string, unknown, RegExp]>([
    ['not an object', 'https://orders.example.com', /"resourceMetadata" option must be an object/],
    ['no resource', {}, /"resourceMetadata.resource" option must be a URL string/],
    [
      'a relative resource',
      { resource: '/v1' },
      /"resourceMetadata.resource" option must be an absolute http\(s\) URL/,
    ],
    [
      'plain http off loopback',
      { resource: 'http://orders.example.com' },
      /"resourceMetadata.resource" option uses plain http/,
    ],
    ['a fragment', { resource: 'https://orders.example.com/#x' }, /must not have a fragment/],
    [
      'a scope with a space',
      { resource: RESOURCE, scopesSupported: ['a b'] },
      /"resourceMetadata.scopesSupported" option must be an array of scope tokens/,
    ],
    ['an empty name', { resource: RESOURCE, resourceName: '' }, /"resourceMetadata.resourceName"/],
    ['a typo', { resource: RESOURCE, scopes: ['a'] }, /"resourceMetadata" option has unknown field "scopes"/],
  ])('%s: TypeError naming the field', (_, resourceMetadata, message) => {
    expect(() => verifierFor({ resourceMetadata: resourceMetadata as never })).toThrow(message)
  })
})
