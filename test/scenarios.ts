/**
 * The scenario table: every behaviour an adapter must show, once. Each row
 * runs against every adapter on every supported major (see adapters.test.ts).
 * Expected values are written out in full, so a change anywhere in the chain
 * (core's wording, an adapter's headers) shows up here.
 */
import type { AuthServer, MintOptions } from '@m2m-guard/testing'
import type { Adapter } from './support/services.js'

export const REALM = 'orders'

export interface Scenario {
  readonly name: string
  readonly path: string
  /** The Authorization header to send; `undefined` sends none. */
  authorization(issuer: AuthServer): Promise<string | undefined>
  /** Adapters the scenario applies to. Default: all. */
  readonly only?: readonly Adapter[]
  readonly status: number
  /** Exact values; `undefined` means the header must be absent. */
  readonly wwwAuthenticate: string | undefined
  readonly retryAfter: string | undefined
  readonly body: unknown
}

const header = (value: string | undefined) => async () => value
/** A token from the local issuer, for client `billing` unless the claims say otherwise. */
const bearer = (claims: Record<string, unknown>, options?: MintOptions) => async (issuer: AuthServer) =>
  `Bearer ${await issuer.mint({ client_id: 'billing', ...claims }, options)}`

const ok = (clientId: string, scopes: string[]) => ({
  status: 200,
  wwwAuthenticate: undefined,
  retryAfter: undefined,
  body: { clientId, scopes },
})
const refused = (status: number, error: string, description: string, challenge: string) => ({
  status,
  wwwAuthenticate: challenge,
  retryAfter: undefined,
  body: { error, error_description: description },
})
const invalidToken = (description: string) =>
  refused(
    401,
    'invalid_token',
    description,
    `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
  )

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'valid token with the required scope',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read' }),
    ...ok('billing', ['orders:read']),
  },
  {
    name: 'missing Authorization header',
    path: '/orders',
    authorization: header(undefined),
    ...refused(401, 'unauthorized', 'authentication required', `Bearer realm="${REALM}"`),
  },
  {
    name: 'another scheme (Basic)',
    path: '/orders',
    authorization: header('Basic YmlsbGluZzpzM2NyZXQ='),
    ...refused(401, 'unauthorized', 'Bearer authentication required', `Bearer realm="${REALM}"`),
  },
  {
    name: '"Bearer" without a token',
    path: '/orders',
    authorization: header('Bearer'),
    ...refused(
      400,
      'invalid_request',
      'Bearer scheme without a token',
      `Bearer realm="${REALM}", error="invalid_request", error_description="Bearer scheme without a token"`,
    ),
  },
  {
    name: 'two tokens in one header',
    path: '/orders',
    authorization: async (issuer) => {
      const token = await issuer.mint({ client_id: 'billing', scope: 'orders:read' })
      return `Bearer ${token} ${token}`
    },
    ...refused(
      400,
      'invalid_request',
      'more than one token in the Authorization header',
      `Bearer realm="${REALM}", error="invalid_request", error_description="more than one token in the Authorization header"`,
    ),
  },
  {
    name: 'expired token',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read' }, { expiresIn: -60 }),
    ...invalidToken('token expired'),
  },
  {
    name: 'token not yet valid',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read' }, { notBefore: 60 }),
    ...invalidToken('token is not yet valid'),
  },
  {
    name: 'wrong issuer',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read', iss: 'https://evil.example' }),
    ...invalidToken('token issuer is not accepted'),
  },
  {
    name: 'wrong audience',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read', aud: 'https://invoices.example' }),
    ...invalidToken('token is not meant for this audience'),
  },
  {
    name: 'bad signature (foreign key under the published kid)',
    path: '/orders',
    authorization: async (issuer) =>
      bearer({ scope: 'orders:read' }, { key: 'foreign', kid: issuer.keys.current.kid })(issuer),
    ...invalidToken('invalid signature'),
  },
  {
    name: 'unknown kid',
    path: '/orders',
    authorization: bearer({ scope: 'orders:read' }, { kid: 'not-published' }),
    ...invalidToken('no key found to verify the token'),
  },
  {
    name: 'required scope missing',
    path: '/orders',
    authorization: bearer({ scope: 'reports:read' }),
    ...refused(
      403,
      'insufficient_scope',
      'missing required scope: orders:read',
      `Bearer realm="${REALM}", error="insufficient_scope", error_description="missing required scope: orders:read", scope="orders:read"`,
    ),
  },
  {
    name: 'any-of scopes: one of them granted',
    path: '/reports',
    authorization: bearer({ scope: 'orders:read reports:admin' }),
    ...ok('billing', ['orders:read', 'reports:admin']),
  },
  {
    name: 'any-of scopes: none granted',
    path: '/reports',
    authorization: bearer({ scope: 'orders:read' }),
    ...refused(
      403,
      'insufficient_scope',
      'requires one of the scopes: reports:read reports:admin',
      `Bearer realm="${REALM}", error="insufficient_scope", error_description="requires one of the scopes: reports:read reports:admin", scope="reports:read reports:admin"`,
    ),
  },
  {
    name: 'client allowed',
    path: '/admin',
    authorization: bearer({ client_id: 'ops-console' }),
    ...ok('ops-console', []),
  },
  {
    name: 'client not allowed',
    path: '/admin',
    authorization: bearer({ scope: 'orders:read' }),
    ...refused(
      403,
      'insufficient_scope',
      "client 'billing' is not allowed to access this resource",
      `Bearer realm="${REALM}", error="insufficient_scope", error_description="client 'billing' is not allowed to access this resource"`,
    ),
  },
  {
    name: 'issuer unreachable, nothing cached',
    path: '/cold',
    authorization: bearer({ scope: 'orders:read' }),
    status: 503,
    wwwAuthenticate: undefined,
    retryAfter: '30',
    body: { error: 'temporarily_unavailable', error_description: 'signing keys are temporarily unavailable' },
  },
  {
    name: 'authenticate only: a token without scopes',
    path: '/me',
    authorization: bearer({}),
    ...ok('billing', []),
  },
  {
    name: 'authenticate only: no token',
    path: '/me',
    authorization: header(undefined),
    ...refused(401, 'unauthorized', 'authentication required', `Bearer realm="${REALM}"`),
  },
  {
    name: 'stacked requirements: both met',
    path: '/stacked',
    authorization: bearer({ scope: 'orders:read orders:write' }),
    ...ok('billing', ['orders:read', 'orders:write']),
  },
  {
    name: 'stacked requirements: the second one fails',
    path: '/stacked',
    authorization: bearer({ scope: 'orders:read' }),
    ...refused(
      403,
      'insufficient_scope',
      'missing required scope: orders:write',
      `Bearer realm="${REALM}", error="insufficient_scope", error_description="missing required scope: orders:write", scope="orders:write"`,
    ),
  },
  {
    name: 'route-declared requirement: met',
    path: '/declared',
    only: ['fastify', 'nestjs'],
    authorization: bearer({ scope: 'orders:read' }),
    ...ok('billing', ['orders:read']),
  },
  {
    name: 'route-declared requirement: no token',
    path: '/declared',
    only: ['fastify', 'nestjs'],
    authorization: header(undefined),
    ...refused(401, 'unauthorized', 'authentication required', `Bearer realm="${REALM}"`),
  },
  {
    name: 'route-declared requirement: client not allowed',
    path: '/declared',
    only: ['fastify', 'nestjs'],
    authorization: bearer({ scope: 'orders:read', client_id: 'reporting' }),
    ...refused(
      403,
      'insufficient_scope',
      "client 'reporting' is not allowed to access this resource",
      `Bearer realm="${REALM}", error="insufficient_scope", error_description="client 'reporting' is not allowed to access this resource"`,
    ),
  },
]
