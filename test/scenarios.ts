/**
 * The scenario table: every behaviour an adapter must show, once. Each row
 * runs against every adapter on every supported major (see adapters.test.ts).
 * Expected values are written out in full, so a change anywhere in the chain
 * (core's wording, an adapter's headers) shows up here.
 */
import type { AuthServer, MintOptions } from '@m2m-guard/testing'
import type { DpopKey, TestCertificate } from './support/proofs.js'
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

/**
 * Sender-constrained rows (DPoP, RFC 9449; certificate-bound tokens, RFC
 * 8705), for the adapters that pass the whole request (Express, Koa,
 * Fastify). Each row sends one or more requests and checks the last answer.
 * The routes and their verifiers are in support/services.ts (`bound`).
 */
export interface BindingContext {
  readonly issuer: AuthServer
  /** The frozen time of the verifiers, in seconds: proofs are made at it. */
  readonly now: number
  /** The service's absolute URL of `path`, as the client addresses it. */
  url(path: string): string
  /** Proof keys: the client's own and a thief's. */
  readonly key: DpopKey
  readonly thief: DpopKey
  /** URL-encoded PEM of the client's certificate and of another one (nginx `x-ssl-client-cert`). */
  readonly certificates: { readonly client: TestCertificate; readonly other: TestCertificate }
  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>): Promise<BindingResponse>
}

export interface BindingResponse {
  readonly status: number
  readonly headers: Record<string, string | undefined>
  readonly body: unknown
}

export interface BindingScenario {
  readonly name: string
  /** The path whose handler may run (or must not). */
  readonly path: string
  run(context: BindingContext): Promise<BindingResponse>
  readonly status: number
  readonly wwwAuthenticate: string | undefined
  readonly body: unknown
  /** Whether the answer carries a `DPoP-Nonce`. */
  readonly dpopNonce: boolean
  /** Requests of the row before the last that reach the handler (a first use before a replay). */
  readonly earlierPasses?: number
}

export const DPOP_ALGS = 'ES256 EdDSA PS256 RS256'
const dpopBound = (context: BindingContext, key = context.key) =>
  context.issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { jkt: key.jkt } })

/** A DPoP request to `path`: the token, and a proof made by `signer` (the client's key unless stolen). */
async function dpopCall(
  context: BindingContext,
  path: string,
  options: {
    token?: string
    signer?: DpopKey
    method?: 'GET' | 'POST'
    claims?: Record<string, unknown>
    proofUrl?: string
  } = {},
) {
  const token = options.token ?? (await dpopBound(context))
  const method = options.method ?? 'GET'
  const signer = options.signer ?? context.key
  const proof = await signer.proof(
    { method, url: options.proofUrl ?? context.url(path), token, iat: context.now },
    options.claims,
  )
  return { method, headers: { authorization: `DPoP ${token}`, dpop: proof } }
}

/** The `DPoP-Nonce` that /dpop-nonce hands out with its use_dpop_nonce to a proof without one. */
async function firstNonce(context: BindingContext, token: string): Promise<string> {
  const first = await context.send(
    'GET',
    '/dpop-nonce',
    (await dpopCall(context, '/dpop-nonce', { token })).headers,
  )
  const nonce = first.headers['dpop-nonce']
  if (first.status !== 401 || nonce === undefined) throw new Error('no nonce was handed out')
  return nonce
}

const dpopOk = {
  status: 200,
  wwwAuthenticate: undefined,
  body: { clientId: 'billing', scopes: ['orders:read'] },
  dpopNonce: false,
}
const dpopRefused = (
  error: string,
  description: string,
  options: { bearer?: boolean; nonce?: boolean } = {},
) => ({
  status: 401,
  wwwAuthenticate: `${options.bearer === false ? '' : 'Bearer, '}DPoP error="${error}", error_description="${description}", algs="${DPOP_ALGS}"`,
  body: { error, error_description: description },
  dpopNonce: options.nonce === true,
})
const certificateRefused = (description: string) => ({
  status: 401,
  wwwAuthenticate: `Bearer error="invalid_token", error_description="${description}"`,
  body: { error: 'invalid_token', error_description: description },
  dpopNonce: false,
})

export const BINDING_SCENARIOS: readonly BindingScenario[] = [
  {
    name: 'DPoP: a bound token with a proof of its key',
    path: '/dpop',
    run: async (context) => {
      const { method, headers } = await dpopCall(context, '/dpop')
      return context.send(method, '/dpop', headers)
    },
    ...dpopOk,
  },
  {
    name: 'DPoP: a POST with its own proof, the token reused from the cache',
    path: '/dpop',
    run: async (context) => {
      const token = await dpopBound(context)
      await context.send('GET', '/dpop', (await dpopCall(context, '/dpop', { token })).headers)
      return context.send(
        'POST',
        '/dpop',
        (await dpopCall(context, '/dpop', { token, method: 'POST' })).headers,
      )
    },
    ...dpopOk,
  },
  {
    name: 'DPoP: a plain Bearer token still passes where DPoP is optional',
    path: '/dpop',
    run: async (context) =>
      context.send('GET', '/dpop', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read' })}`,
      }),
    ...dpopOk,
  },
  {
    name: 'DPoP: no credentials get both challenges',
    path: '/dpop',
    run: (context) => context.send('GET', '/dpop', {}),
    status: 401,
    wwwAuthenticate: `Bearer, DPoP algs="${DPOP_ALGS}"`,
    body: { error: 'unauthorized', error_description: 'authentication required' },
    dpopNonce: false,
  },
  {
    name: 'DPoP: a bound token used as Bearer (stolen, no key)',
    path: '/dpop',
    run: async (context) =>
      context.send('GET', '/dpop', { authorization: `Bearer ${await dpopBound(context)}` }),
    status: 401,
    wwwAuthenticate: `Bearer error="invalid_token", error_description="a DPoP-bound token must be sent with the DPoP scheme", DPoP algs="${DPOP_ALGS}"`,
    body: {
      error: 'invalid_token',
      error_description: 'a DPoP-bound token must be sent with the DPoP scheme',
    },
    dpopNonce: false,
  },
  {
    name: 'DPoP: no proof header',
    path: '/dpop',
    run: async (context) =>
      context.send('GET', '/dpop', { authorization: `DPoP ${await dpopBound(context)}` }),
    ...dpopRefused('invalid_dpop_proof', 'the DPoP scheme needs a DPoP proof header'),
  },
  {
    name: 'DPoP: a proof by another key (stolen token)',
    path: '/dpop',
    run: async (context) => {
      const { method, headers } = await dpopCall(context, '/dpop', { signer: context.thief })
      return context.send(method, '/dpop', headers)
    },
    ...dpopRefused('invalid_token', 'DPoP proof key does not match the token binding'),
  },
  {
    name: 'DPoP: a proof for another method',
    path: '/dpop',
    run: async (context) => context.send('POST', '/dpop', (await dpopCall(context, '/dpop')).headers),
    ...dpopRefused('invalid_dpop_proof', "DPoP proof 'htm' does not match the request method"),
  },
  {
    name: 'DPoP: a proof for another URL',
    path: '/dpop',
    run: async (context) =>
      context.send(
        'GET',
        '/dpop',
        (await dpopCall(context, '/dpop', { proofUrl: context.url('/orders') })).headers,
      ),
    ...dpopRefused('invalid_dpop_proof', "DPoP proof 'htu' does not match the request URL"),
  },
  {
    name: 'DPoP: a proof for another token',
    path: '/dpop',
    run: async (context) => {
      const { headers } = await dpopCall(context, '/dpop')
      return context.send('GET', '/dpop', { ...headers, authorization: `DPoP ${await dpopBound(context)}` })
    },
    ...dpopRefused('invalid_dpop_proof', "DPoP proof 'ath' does not match the access token"),
  },
  {
    name: 'DPoP: a proof too old',
    path: '/dpop',
    run: async (context) => {
      const iat = context.now - 600
      return context.send('GET', '/dpop', (await dpopCall(context, '/dpop', { claims: { iat } })).headers)
    },
    ...dpopRefused('invalid_dpop_proof', 'DPoP proof is too old'),
  },
  {
    name: 'DPoP: a proof with a private key in its jwk',
    path: '/dpop',
    run: async (context) => {
      const { headers } = await dpopCall(context, '/dpop')
      const [header, payload] = headers.dpop.split('.') as [string, string]
      const jwk = { ...JSON.parse(Buffer.from(header, 'base64url').toString()).jwk, d: 'AAAA' }
      const forged = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk })).toString('base64url')}.${payload}.AAAA`
      return context.send('GET', '/dpop', { ...headers, dpop: forged })
    },
    ...dpopRefused('invalid_dpop_proof', "DPoP proof 'jwk' header carries private key material"),
  },
  {
    name: 'DPoP: an unsigned proof (alg none)',
    path: '/dpop',
    run: async (context) => {
      const { headers } = await dpopCall(context, '/dpop')
      const [header, payload] = headers.dpop.split('.') as [string, string]
      const jwk = JSON.parse(Buffer.from(header, 'base64url').toString()).jwk
      const unsigned = `${Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk })).toString('base64url')}.${payload}.AAAA`
      return context.send('GET', '/dpop', { ...headers, dpop: unsigned })
    },
    ...dpopRefused('invalid_dpop_proof', "DPoP proof 'alg' is not one of the accepted algorithms"),
  },
  {
    name: 'DPoP: a replayed proof (memory store, one instance)',
    path: '/dpop',
    run: async (context) => {
      const { method, headers } = await dpopCall(context, '/dpop')
      const first = await context.send(method, '/dpop', headers)
      if (first.status !== 200) throw new Error(`the first use answered ${first.status}`)
      return context.send(method, '/dpop', headers)
    },
    ...dpopRefused('invalid_dpop_proof', 'DPoP proof has been used before'),
    earlierPasses: 1,
  },
  {
    name: 'DPoP required: Bearer gets the DPoP challenge alone',
    path: '/dpop-required',
    run: async (context) =>
      context.send('GET', '/dpop-required', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read' })}`,
      }),
    status: 401,
    wwwAuthenticate: `DPoP algs="${DPOP_ALGS}"`,
    body: { error: 'unauthorized', error_description: 'DPoP authentication required' },
    dpopNonce: false,
  },
  {
    name: 'DPoP required: a bound token with its proof',
    path: '/dpop-required',
    run: async (context) =>
      context.send('GET', '/dpop-required', (await dpopCall(context, '/dpop-required')).headers),
    ...dpopOk,
  },
  {
    name: 'DPoP nonce: the first proof gets use_dpop_nonce and a DPoP-Nonce',
    path: '/dpop-nonce',
    run: async (context) =>
      context.send('GET', '/dpop-nonce', (await dpopCall(context, '/dpop-nonce')).headers),
    ...dpopRefused('use_dpop_nonce', 'DPoP proof needs a nonce', { nonce: true }),
  },
  {
    name: 'DPoP nonce: round trip, the retry with the nonce passes',
    path: '/dpop-nonce',
    run: async (context) => {
      const token = await dpopBound(context)
      const nonce = await firstNonce(context, token)
      return context.send(
        'GET',
        '/dpop-nonce',
        (await dpopCall(context, '/dpop-nonce', { token, claims: { nonce } })).headers,
      )
    },
    ...dpopOk,
  },
  {
    name: 'DPoP nonce (RFC 9449 §8.2): a nonce in its last window passes, and the answer carries the next one',
    path: '/dpop-nonce-later',
    run: async (context) => {
      const token = await dpopBound(context)
      const nonce = await firstNonce(context, token)
      const later = await context.send(
        'GET',
        '/dpop-nonce-later',
        (await dpopCall(context, '/dpop-nonce-later', { token, claims: { nonce } })).headers,
      )
      if (later.headers['dpop-nonce'] === nonce) throw new Error('the ageing nonce was handed out again')
      return later
    },
    ...dpopOk,
    dpopNonce: true,
  },
  {
    name: 'DPoP nonce: a made-up nonce',
    path: '/dpop-nonce',
    run: async (context) =>
      context.send(
        'GET',
        '/dpop-nonce',
        (await dpopCall(context, '/dpop-nonce', { claims: { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' } })).headers,
      ),
    ...dpopRefused('use_dpop_nonce', 'DPoP proof nonce is not current', { nonce: true }),
  },
  {
    name: 'mTLS (proxy header): the bound certificate',
    path: '/mtls',
    run: async (context) =>
      context.send('GET', '/mtls', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': context.certificates.client.thumbprint } })}`,
        'x-ssl-client-cert': encodeURIComponent(context.certificates.client.pem),
      }),
    ...dpopOk,
  },
  {
    name: 'mTLS (proxy header): another certificate',
    path: '/mtls',
    run: async (context) =>
      context.send('GET', '/mtls', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': context.certificates.client.thumbprint } })}`,
        'x-ssl-client-cert': encodeURIComponent(context.certificates.other.pem),
      }),
    ...certificateRefused('the client certificate does not match the token binding'),
  },
  {
    name: 'mTLS (proxy header): no certificate',
    path: '/mtls',
    run: async (context) =>
      context.send('GET', '/mtls', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': context.certificates.client.thumbprint } })}`,
      }),
    ...certificateRefused('the token is bound to a client certificate; none was presented'),
  },
  {
    name: 'mTLS (proxy header): a header that does not parse',
    path: '/mtls',
    run: async (context) =>
      context.send('GET', '/mtls', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': context.certificates.client.thumbprint } })}`,
        'x-ssl-client-cert': 'not%20a%20certificate',
      }),
    ...certificateRefused('the token is bound to a client certificate; none was presented'),
  },
  {
    name: 'mTLS required: an unbound token',
    path: '/mtls',
    run: async (context) =>
      context.send('GET', '/mtls', {
        authorization: `Bearer ${await context.issuer.mint({ client_id: 'billing', scope: 'orders:read' })}`,
        'x-ssl-client-cert': encodeURIComponent(context.certificates.client.pem),
      }),
    ...certificateRefused('the access token must be bound to a client certificate'),
  },
]
