import { TokenRequestError } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PlannedCall } from './plan.js'
import { ROTATION_PLAN, rotationOf } from './rotation.js'
import { type Api, startWorld, type World } from './world.js'

let world: World
let api: Api
beforeEach(async () => {
  world = await startWorld()
  api = world.apis[0] as Api
})
afterEach(() => world.close())

/** Sends `call`, reads the answer through, and returns its status. */
async function run(call: PlannedCall | undefined) {
  if (call === undefined) throw new Error('no such step')
  const response = await call.send(world, api)
  await response.arrayBuffer()
  return { status: response.status }
}

describe('the rotation rehearsal', () => {
  it('rotates payouts from v1 to v2 with every call 200; the issuer sees each secret as planned', async () => {
    const statuses: number[] = []
    for (const call of ROTATION_PLAN) statuses.push((await run(call)).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200])

    const rotation = rotationOf(api)
    expect(rotation?.requests.map((r) => `replica ${r.replica}: ${r.secret} ${r.status}`)).toEqual([
      'replica 1: v1 200',
      'replica 1: v2 200',
      'replica 1: v2 200',
      // Its mount still had v1 (revoked by then): refused, then read again and sent with v2.
      'replica 2: v1 401',
      'replica 2: v2 200',
    ])
    expect(world.issuer.requests.token).toBe(rotation?.requests.length)
    // Per secret: after v1's revocation, only its refusal; every later token came from v2.
    const perSecret = (secret: string) => rotation?.requests.filter((r) => r.secret === secret).length
    expect([perSecret('v1'), perSecret('v2')]).toEqual([2, 3])
    // The secret itself is really revoked: a direct token request with it is refused.
    const v1 = rotation?.secrets.v1 ?? ''
    const direct = await fetch(world.issuer.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`payouts:${v1}`)}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    })
    expect(direct.status).toBe(401)
    await direct.body?.cancel()
  })

  it('gives the row a 500 when a step sends other token requests than planned', async () => {
    for (const call of ROTATION_PLAN.slice(0, 2)) expect((await run(call)).status).toBe(200)
    // A token request where none was planned (after v1's revocation the client still had a token).
    rotationOf(api)?.replicas[0].invalidate()
    const response = await ROTATION_PLAN[2]?.send(world, api)
    expect(response?.status).toBe(500)
    expect(await response?.json()).toEqual({
      error: 'unplanned_token_requests',
      error_description: 'planned [], sent [v2 200], issuer counted 1',
    })
  })

  it('fails the step when the client cannot get a token (v2 revoked too)', async () => {
    for (const call of ROTATION_PLAN.slice(0, 3)) expect((await run(call)).status).toBe(200)
    expect(world.issuer.revokeSecret('payouts', rotationOf(api)?.secrets.v2 ?? '')).toBe(true)
    const failed = ROTATION_PLAN[3]?.send(world, api)
    await expect(failed).rejects.toBeInstanceOf(TokenRequestError)
    await expect(failed).rejects.toMatchObject({ error: 'invalid_client' })
  })
})
