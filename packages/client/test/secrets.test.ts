import { generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import { createTokenClient, type TokenClientEvent, type TokenClientOptions } from '@m2m-guard/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock } from './helpers/clock.js'
import type { RecordedRequest, Scripted } from './helpers/http-server.js'
import { startTokenEndpoint, type TokenEndpoint } from './helpers/token-endpoint.js'

const SECRET = 'CLIENT-SECRET-d0-n0t-l34k'
const TOKEN = 'ACCESS-TOKEN-d0-n0t-l34k'

let server: TokenEndpoint
beforeEach(async () => {
  server = await startTokenEndpoint()
})
afterEach(() => server.close())

// Every way an error or an event may end up in a log.
function renderings(value: unknown): string[] {
  return [
    String(value),
    JSON.stringify(value) ?? '',
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    value instanceof Error ? `${value.stack}` : '',
  ]
}

function expectClean(value: unknown, secrets: string[]) {
  for (const text of renderings(value)) {
    for (const secret of secrets) expect(text).not.toContain(secret)
  }
}

async function failWith(
  answer: Scripted | ((request: RecordedRequest) => Scripted),
  extra: Partial<TokenClientOptions> = {},
) {
  server.queue(answer, answer, answer)
  const events: TokenClientEvent[] = []
  const clock = createFakeClock()
  const client = createTokenClient({
    tokenEndpoint: server.tokenEndpoint,
    clientId: 'billing',
    clientSecret: SECRET,
    retry: { retries: 2, minDelay: 1, maxDelay: 2 },
    clock: clock.now,
    sleep: clock.sleep,
    timeout: 100,
    onEvent: (event) => events.push(event),
    ...extra,
  } as TokenClientOptions)
  const error = await client.getToken().catch((e: unknown) => e)
  expect(error).toBeInstanceOf(Error)
  return { error, events }
}

// A server that echoes back everything it received, as a careless one might.
const echo = (status: number) => (request: RecordedRequest) => ({
  status,
  body: {
    error: 'invalid_client',
    error_description: `bad credentials: ${request.body} ${request.headers.authorization ?? ''}`,
  },
})

describe('secrets and tokens never appear in errors or events', () => {
  it.each<[string, Scripted | ((request: RecordedRequest) => Scripted), Partial<TokenClientOptions>]>([
    ['an OAuth error echoing client_secret_basic', echo(401), {}],
    ['an OAuth error echoing client_secret_post', echo(400), { authMethod: 'client_secret_post' }],
    ['a 5xx echoing the request', echo(500), {}],
    ['a garbage body holding a token', { body: `{"access_token":"${TOKEN}", oops` }, {}],
    ['a DPoP token', { body: { access_token: TOKEN, token_type: 'DPoP', expires_in: 60 } }, {}],
    [
      'a token with a bad expires_in',
      { body: { access_token: TOKEN, token_type: 'Bearer', expires_in: -5 } },
      {},
    ],
    ['a dropped connection', { destroy: true }, {}],
    ['a timeout', { hang: true }, {}],
  ])('%s', async (_, answer, extra) => {
    const { error, events } = await failWith(answer, extra)
    const basic = Buffer.from(`billing:${SECRET}`).toString('base64')
    expectClean(error, [SECRET, TOKEN, basic])
    expectClean(events, [SECRET, TOKEN, basic])
    expect(events.length).toBeGreaterThan(0)
  })

  it('redacts an echoed secret, and says so', async () => {
    const { error } = await failWith(echo(400), { authMethod: 'client_secret_post' })
    expect(error).toMatchObject({ errorDescription: expect.stringContaining('client_secret=[redacted]') })
  })

  it('redacts a secret echoed in its form-encoded shape', async () => {
    const special = 'p@ss w/rd+%&=é-d0-n0t-l34k'
    const { error } = await failWith(echo(400), { authMethod: 'client_secret_post', clientSecret: special })
    expectClean(error, [special, new URLSearchParams({ s: special }).toString().slice(2)])
  })

  it('a private_key_jwt assertion echoed by the server is redacted', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    let assertion = ''
    const { error } = await failWith(
      (request) => {
        assertion = request.form.get('client_assertion') ?? ''
        return echo(401)(request)
      },
      { clientSecret: undefined, privateKey } as Partial<TokenClientOptions>,
    )
    expect(assertion).not.toBe('')
    expectClean(error, [assertion])
  })

  it('successful events carry no token', async () => {
    server.queue({ body: { access_token: TOKEN, token_type: 'Bearer', expires_in: 60 } })
    const events: TokenClientEvent[] = []
    const client = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      clientSecret: SECRET,
      onEvent: (event) => events.push(event),
    })
    expect(await client.getToken()).toBe(TOKEN)
    expectClean(events, [SECRET, TOKEN])
    expectClean(client, [SECRET, TOKEN])
  })
})

describe('event handlers', () => {
  it.each([
    [
      'that throw',
      () => {
        throw new Error('handler bug')
      },
    ],
    ['that reject', async () => Promise.reject(new Error('async handler bug'))],
  ])('%s cannot break the client', async (_, onEvent) => {
    server.queue({ status: 500 })
    const clock = createFakeClock()
    const client = createTokenClient({
      tokenEndpoint: server.tokenEndpoint,
      clientId: 'billing',
      clientSecret: SECRET,
      clock: clock.now,
      sleep: clock.sleep,
      onEvent,
    })
    expect(await client.getToken()).toBe('token-2')
    client.invalidate()
    expect(await client.getToken()).toBe('token-3')
  })
})
