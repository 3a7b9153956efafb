/**
 * The demo's sender-constrained calls: a DPoP-bound token through the API's nonce, the same token
 * stolen (no proof, a proof by another key, a replayed proof), and a certificate-bound token from its
 * certificate and from another one.
 */
import type { PlannedCall } from './plan.js'
import type { Api, World } from './world.js'

/** billing's DPoP calls to `api` so far. */
const sentTo = (world: World, api: Api) =>
  world.bound.dpopBilling.sent.filter((call) => call.url.startsWith(`${api.url}/`))

/** billing's last DPoP call to `api` that passed: its token and proof, as a thief would copy them. */
function stolenFrom(world: World, api: Api) {
  const passed = sentTo(world, api).filter((call) => call.status === 200)
  const last = passed.at(-1)
  if (last?.authorization == null || last.dpop == null) throw new Error('billing made no DPoP call yet')
  return {
    authorization: last.authorization,
    dpop: last.dpop,
    token: last.authorization.slice('DPoP '.length),
  }
}

/** Runs `send` against a fresh HTTPS instance of the API (asking for client certificates), then closes it. */
async function overHttps(world: World, api: Api, send: (url: string) => Promise<Response>) {
  const secure = await world.startApi(api.framework, { https: true })
  try {
    const response = await send(secure.url)
    return new Response(await response.arrayBuffer(), response)
  } finally {
    await secure.close()
  }
}

const certificateBound = (world: World) =>
  world.issuer.mint({
    client_id: 'billing',
    scope: 'orders:read',
    cnf: { 'x5t#S256': world.bound.certificates.billing.thumbprint },
  })

export const BOUND_PLAN: readonly PlannedCall[] = [
  {
    who: 'billing (DPoP)',
    method: 'GET',
    path: '/orders',
    expect: 200,
    send: async (world, api) => {
      const response = await world.bound.dpopBilling.tokens.fetch(`${api.url}/orders`)
      // The client's first proof had no nonce: the API answered use_dpop_nonce, the client retried.
      const seen = sentTo(world, api).map((call) => `${call.status} ${call.error ?? ''}`.trim())
      if (seen.join(', ') !== '401 use_dpop_nonce, 200') {
        return Response.json(
          { error: 'no_nonce_round_trip', error_description: seen.join(', ') },
          { status: 500 },
        )
      }
      return response
    },
    why: () => 'DPoP: 401 use_dpop_nonce, then a proof with the nonce',
  },
  {
    who: '(stolen DPoP token)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    send: (world, api) =>
      fetch(`${api.url}/orders`, { headers: { authorization: stolenFrom(world, api).authorization } }),
  },
  {
    who: '(stolen DPoP token)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    send: async (world, api) => {
      const { authorization, token } = stolenFrom(world, api)
      const url = `${api.url}/orders`
      // The thief plays by the rules: it takes the API's nonce and signs a proof with its own key.
      const first = await fetch(url, {
        headers: { authorization, dpop: await world.bound.thiefProof('GET', url, token) },
      })
      const nonce = first.headers.get('dpop-nonce') ?? undefined
      const dpop = await world.bound.thiefProof('GET', url, token, nonce)
      return fetch(url, { headers: { authorization, dpop } })
    },
  },
  {
    who: '(stolen DPoP proof)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    send: (world, api) => {
      const { authorization, dpop } = stolenFrom(world, api)
      return fetch(`${api.url}/orders`, { headers: { authorization, dpop } })
    },
  },
  {
    who: 'billing (mTLS)',
    method: 'GET',
    path: '/orders',
    expect: 200,
    send: async (world, api) => {
      const token = await certificateBound(world)
      const fetchAsBilling = world.bound.fetchWithCertificate(world.bound.certificates.billing)
      return overHttps(world, api, (url) =>
        fetchAsBilling(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } }),
      )
    },
    why: () => 'certificate-bound token from its certificate',
  },
  {
    who: '(stolen mTLS token)',
    method: 'GET',
    path: '/orders',
    expect: 401,
    send: async (world, api) => {
      const token = await certificateBound(world)
      const fetchAsStranger = world.bound.fetchWithCertificate(world.bound.certificates.stranger)
      return overHttps(world, api, (url) =>
        fetchAsStranger(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } }),
      )
    },
  },
]
