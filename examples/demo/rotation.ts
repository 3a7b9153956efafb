/**
 * The demo's secret rotation, as client-credentials guidance describes it: the issuer adds a second
 * secret, the deployment moves the callers to it, the old one is revoked, and no call fails. The
 * `payouts` service reads its secret from a function (as from a secrets manager or a mounted file);
 * every token request it sends is recorded with the secret it carried and the issuer's answer.
 * Each API gets the whole rehearsal from the start: `payouts` is registered again with a new v1.
 */
import { randomBytes } from 'node:crypto'
import { createTokenClient, type TokenClient } from '@m2m-guard/client'
import type { PlannedCall } from './plan.js'
import type { Api, World } from './world.js'

export const ROTATING_CLIENT = 'payouts'
export const ROTATING_SCOPES = ['orders:read'] as const

/** One token request a replica sent: the secret it carried (`v1`, `v2`) and the issuer's status. */
export interface TokenRequestRecord {
  readonly replica: 1 | 2
  readonly secret: string
  readonly status: number
}

/** One API's rehearsal: the two secrets, the store the deployment writes, two replicas of payouts. */
export interface Rotation {
  readonly secrets: { readonly v1: string; readonly v2: string }
  /** The secrets manager: what the deployment last wrote. */
  readonly store: { current: string }
  /** Replica 1 reads the store at each token request; replica 2's mount lags one read behind it. */
  readonly replicas: readonly [TokenClient, TokenClient]
  /** Every token request of either replica, in order. */
  readonly requests: TokenRequestRecord[]
  /** The token requests of the last step, for its row's "why". */
  lastStep: readonly TokenRequestRecord[]
  /** A token replica 1 got with v1, before v1 was revoked. */
  heldToken?: string
}

const rotations = new WeakMap<Api, Rotation>()

/** The rehearsal on `api` so far (after its first step), for tests. */
export function rotationOf(api: Api): Rotation | undefined {
  return rotations.get(api)
}

/** Registers payouts again at `world.issuer` with a fresh v1 only, and starts two replicas reading the store. */
function startRotation(world: World, api: Api): Rotation {
  const secrets = { v1: randomBytes(12).toString('base64url'), v2: randomBytes(12).toString('base64url') }
  world.issuer.addClient({
    clientId: ROTATING_CLIENT,
    clientSecret: secrets.v1,
    scopes: [...ROTATING_SCOPES],
  })
  const store = { current: secrets.v1 }
  const requests: TokenRequestRecord[] = []
  const label = (secret: string) => (secret === secrets.v1 ? 'v1' : secret === secrets.v2 ? 'v2' : '?')
  const replica = (number: 1 | 2, clientSecret: () => Promise<string>) =>
    createTokenClient({
      tokenEndpoint: world.issuer.tokenEndpoint,
      clientId: ROTATING_CLIENT,
      clientSecret,
      // A failed token request shows at once, instead of being retried past the rehearsal.
      retry: false,
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        if (String(input) === world.issuer.tokenEndpoint) {
          requests.push({ replica: number, secret: label(basicSecret(init)), status: response.status })
        }
        return response
      },
    })
  // A mounted file the platform syncs late: each read returns what the store had at the read before.
  let mounted = store.current
  const lagging = async () => {
    const value = mounted
    mounted = store.current
    return value
  }
  const rotation: Rotation = {
    secrets,
    store,
    replicas: [replica(1, async () => store.current), replica(2, lagging)],
    requests,
    lastStep: [],
  }
  rotations.set(api, rotation)
  return rotation
}

/** The secret of a `client_secret_basic` token request, as the issuer reads it. */
function basicSecret(init: RequestInit | undefined): string {
  const basic = /^Basic (.+)$/.exec(new Headers(init?.headers).get('authorization') ?? '')?.[1] ?? ''
  const decoded = Buffer.from(basic, 'base64').toString('utf8')
  return decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1).replace(/\+/g, ' '))
}

const describeRequests = (records: readonly TokenRequestRecord[]) =>
  records.length === 0
    ? 'no token request'
    : `token requests: ${records.map((record) => `${record.secret} → ${record.status}`).join(', ')}`

/**
 * One step of the rehearsal: `act` changes the issuer or the store and makes the call. Unless the
 * step's token requests (as recorded, and as the issuer counted them) are the planned ones, the row
 * gets a 500 saying what happened instead.
 */
function step(
  who: string,
  planned: readonly string[],
  act: (rotation: Rotation, world: World, api: Api) => Promise<Response>,
  explain: string,
): PlannedCall {
  return {
    who,
    method: 'GET',
    path: '/orders',
    expect: 200,
    send: async (world, api) => {
      const rotation = rotations.get(api) ?? startRotation(world, api)
      const [recorded, counted] = [rotation.requests.length, world.issuer.requests.token]
      const response = await act(rotation, world, api)
      rotation.lastStep = rotation.requests.slice(recorded)
      const seen = rotation.lastStep.map((record) => `${record.secret} ${record.status}`)
      const issuerCount = world.issuer.requests.token - counted
      if (seen.join(', ') !== planned.join(', ') || issuerCount !== seen.length) {
        await response.body?.cancel()
        const description = `planned [${planned.join(', ')}], sent [${seen.join(', ')}], issuer counted ${issuerCount}`
        return Response.json(
          { error: 'unplanned_token_requests', error_description: description },
          { status: 500 },
        )
      }
      return response
    },
    why: (_answer, _world, api) => {
      const records = rotations.get(api)?.lastStep ?? []
      return `${explain} (${describeRequests(records)})`
    },
  }
}

const orders = (api: Api) => `${api.url}/orders`

export const ROTATION_PLAN: readonly PlannedCall[] = [
  step(
    ROTATING_CLIENT,
    ['v1 200'],
    async (rotation, _world, api) => {
      const response = await rotation.replicas[0].fetch(orders(api))
      rotation.heldToken = await rotation.replicas[0].getToken()
      return response
    },
    'rotation: only v1 active, read from the store',
  ),
  step(
    ROTATING_CLIENT,
    ['v2 200'],
    async (rotation, world, api) => {
      world.issuer.addSecret(ROTATING_CLIENT, rotation.secrets.v2)
      rotation.store.current = rotation.secrets.v2
      // Its token is due for renewal: the next token request reads the store again.
      rotation.replicas[0].invalidate()
      return rotation.replicas[0].fetch(orders(api))
    },
    'issuer added v2 (both active), deployment wrote v2: token renewed with v2',
  ),
  step(
    ROTATING_CLIENT,
    [],
    async (rotation, world, api) => {
      if (!world.issuer.revokeSecret(ROTATING_CLIENT, rotation.secrets.v1))
        throw new Error('v1 was not active')
      return rotation.replicas[0].fetch(orders(api))
    },
    'v1 revoked: the token it got with v2 still in use',
  ),
  step(
    ROTATING_CLIENT,
    ['v2 200'],
    async (rotation, _world, api) => {
      rotation.replicas[0].invalidate()
      return rotation.replicas[0].fetch(orders(api))
    },
    'token renewed after revocation with v2',
  ),
  step(
    `${ROTATING_CLIENT} (replica 2)`,
    ['v1 401', 'v2 200'],
    (rotation, _world, api) => rotation.replicas[1].fetch(orders(api)),
    'its mount still had v1: invalid_client, read again, got v2',
  ),
  step(
    `${ROTATING_CLIENT} (v1 token)`,
    [],
    (rotation, _world, api) =>
      fetch(orders(api), { headers: { authorization: `Bearer ${rotation.heldToken ?? ''}` } }),
    'token got with v1 before v1 was revoked: valid until exp; revoking concerns the secret',
  ),
]
