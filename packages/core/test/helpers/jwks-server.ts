/**
 * A real JWKS and metadata server on 127.0.0.1:0 for key-set tests: real
 * keys (jose), real tokens, request counts per path, and switchable
 * misbehaviour (down, refused, hanging, stalling, slow, garbage, HTML, oversized, gzip bombs,
 * redirects, custom Cache-Control, rotation), and answers held until the test releases them. `close()` destroys every
 * socket, hanging ones included, so a test never leaks a handle.
 *
 * @example
 * const server = await startJwksServer({ keys: ['RS256'] })
 * const verifier = createVerifier({ issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri })
 * await verifier.verify(await server.sign())
 * expect(server.count('/jwks')).toBe(1)
 * await server.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from 'jose'
import type { VerifierEvent } from '../../src/index.js'

export const AUDIENCE = 'https://orders.example.com'

/** Algorithms the helper can generate keys for. */
export type TestAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** A generated key pair; `publicJwk` carries `kid`, `alg` and `use: "sig"`. */
export interface TestKey {
  kid: string
  alg: TestAlg
  publicJwk: JWK
  privateKey: CryptoKey
}

let counter = 0

/** Generates a key pair for `alg` (Ed25519 for EdDSA). */
export async function generateTestKey(alg: TestAlg = 'ES256', kid?: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const id = kid ?? `${alg.toLowerCase()}-${++counter}`
  return {
    kid: id,
    alg,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid: id, alg, use: 'sig' },
  }
}

/** How {@link signToken} signs. `kid: null` leaves the `kid` header out. */
export interface SignOptions {
  key: TestKey
  kid?: string | null
  alg?: string
  header?: Partial<JWTHeaderParameters>
}

/** Signs `claims` exactly as given (no defaults) with `options.key`. */
export async function signToken(claims: JWTPayload, options: SignOptions): Promise<string> {
  const { key } = options
  const header: JWTHeaderParameters = { alg: options.alg ?? key.alg, typ: 'at+jwt', ...options.header }
  const kid = options.kid === undefined ? key.kid : options.kid
  if (kid !== null) header.kid = kid
  return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey)
}

/** Valid client-credentials claims at `nowMs`; `overrides` win, `undefined` drops a claim. */
export function tokenClaims(
  issuer: string,
  nowMs: number,
  overrides: Record<string, unknown> = {},
): JWTPayload {
  const iat = Math.floor(nowMs / 1000)
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: AUDIENCE,
    sub: 'billing',
    client_id: 'billing',
    scope: 'orders:read',
    iat,
    exp: iat + 300,
    jti: `jti-${++counter}`,
    ...overrides,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return claims
}

/** What the server does with a request. */
export type Behaviour =
  | 'normal'
  /** HTTP 500 (issuer listening but failing). */
  | 'down'
  /** Accepts the connection, then destroys it without an answer. */
  | 'reset'
  /** Never answers. */
  | 'hang'
  /** 200 with a body that is not JSON. */
  | 'garbage'
  /** 200 with an HTML login page, as a misrouted proxy answers. */
  | 'html'
  /** Sends the headers and the start of a body, then never finishes. */
  | 'stall'
  /** 200 with `bytes` of JSON gzip-compressed into a few kilobytes. */
  | { gzipBomb: number }
  | { status: number }
  | { slowMs: number }
  /** 200 with a JSON body of `bytes` bytes, streamed; with `declareLength`, a Content-Length too. */
  | { oversized: number; declareLength?: boolean }
  | { redirect: string; status?: number }

/** The answer of a route: a JSON body (or a raw string) and extra headers. */
export interface RouteAnswer {
  status?: number
  body: unknown
  headers?: Record<string, string>
}

/** Requests kept unanswered until {@link Hold.release}: a slow issuer whose pace the test sets. */
export interface Hold {
  /** How many requests are held now. */
  readonly held: number
  /** Resolves once a request is held. */
  readonly arrived: Promise<void>
  /** Stops holding, and answers the held requests as the behaviour set then says. */
  release(): void
}

export interface JwksServerOptions {
  /** Keys to generate and publish at start. Default one RS256 key. */
  keys?: (TestAlg | TestKey)[]
  /** Path of the JWKS. Default `/jwks`. */
  jwksPath?: string
}

export interface JwksServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string
  /** The issuer tokens name by default (the origin). */
  readonly issuer: string
  readonly jwksUri: string
  /** The keys published now, in order. */
  readonly keys: readonly TestKey[]
  /** Raw JWKs published after the keys (unusable keys, duplicates...). */
  extraJwks: unknown[]
  /** `Cache-Control` of JWKS answers; none if undefined. */
  cacheControl: string | undefined
  /** Generates a key and publishes it. */
  addKey(alg?: TestAlg, kid?: string): Promise<TestKey>
  /** Publishes an existing key (again: duplicates are allowed). */
  publish(key: TestKey): void
  /** Stops publishing every key with this kid. */
  removeKey(kid: string): void
  /** Serves this body at the JWKS path instead of the keys; `undefined` restores the keys. */
  setJwksBody(body: unknown): void
  /** Serves the JWKS at another path too. */
  serveJwksAt(path: string): void
  /** Serves a JSON document (or the given answer) at `path`. */
  setJson(path: string, answer: unknown | (() => RouteAnswer)): void
  /** Sets the behaviour for `path`, or for every path without its own. */
  behave(behaviour: Behaviour, path?: string): void
  /** Holds the requests on `path` (or on every path) from now until released. */
  hold(path?: string): Hold
  /** Requests received on `path`, or in all if omitted. */
  count(path?: string): number
  resetCounts(): void
  /** A valid token at `nowMs` signed by `key` (default the first published key). */
  sign(
    overrides?: Record<string, unknown>,
    options?: Partial<SignOptions> & { nowMs?: number },
  ): Promise<string>
  /** Closes the listener and every connection: clients now get ECONNREFUSED. */
  refuse(): Promise<void>
  /** Listens again on the same port after {@link JwksServer.refuse}. */
  restore(): Promise<void>
  /** Closes everything; safe to call twice. */
  close(): Promise<void>
}

/**
 * Starts a JWKS server on 127.0.0.1:0.
 *
 * @example
 * const server = await startJwksServer({ keys: ['ES256', 'EdDSA'] })
 * server.behave('hang')
 */
export async function startJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  const jwksPath = options.jwksPath ?? '/jwks'
  const keys: TestKey[] = []
  for (const key of options.keys ?? ['RS256']) {
    keys.push(typeof key === 'string' ? await generateTestKey(key) : key)
  }
  const jwksPaths = new Set([jwksPath])
  const routes = new Map<string, () => RouteAnswer>()
  const behaviours = new Map<string, Behaviour>()
  const counts = new Map<string, number>()
  const holds = new Map<string, (answer: () => void) => void>()
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let jwksBody: unknown
  let listening = false

  function jwksAnswer(): RouteAnswer {
    const body = jwksBody ?? { keys: [...keys.map((key) => key.publicJwk), ...state.extraJwks] }
    const headers: Record<string, string> = {}
    if (state.cacheControl !== undefined) headers['cache-control'] = state.cacheControl
    return { body, headers }
  }

  function answer(response: ServerResponse, { status = 200, body, headers = {} }: RouteAnswer): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    response.writeHead(status, { 'content-type': 'application/json', ...headers })
    response.end(text)
  }

  function route(path: string, response: ServerResponse): void {
    const handler = jwksPaths.has(path) ? jwksAnswer : routes.get(path)
    if (handler === undefined) answer(response, { status: 404, body: { error: 'not_found' } })
    else answer(response, handler())
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const hold = holds.get(path) ?? holds.get('*')
    if (hold === undefined) behave(path, request, response)
    else hold(() => behave(path, request, response))
  }

  function startHold(path: string): Hold {
    const waiting: (() => void)[] = []
    let arrive = () => {}
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve
    })
    const keep = (answer: () => void) => {
      waiting.push(answer)
      arrive()
    }
    holds.set(path, keep)
    return {
      get held() {
        return waiting.length
      },
      arrived,
      release() {
        if (holds.get(path) === keep) holds.delete(path)
        for (const answer of waiting.splice(0)) answer()
      },
    }
  }

  function behave(path: string, request: IncomingMessage, response: ServerResponse): void {
    const behaviour = behaviours.get(path) ?? behaviours.get('*') ?? 'normal'
    if (behaviour === 'hang') return
    if (behaviour === 'reset') {
      request.socket.destroy()
    } else if (behaviour === 'normal') {
      route(path, response)
    } else if (behaviour === 'down') {
      answer(response, { status: 500, body: { error: 'server_error' } })
    } else if (behaviour === 'garbage') {
      answer(response, { body: '{"keys": [ \u0000garbage' })
    } else if (behaviour === 'html') {
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end('<!doctype html><html><body><form action="/login"></form></body></html>')
    } else if (behaviour === 'stall') {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"keys":[')
    } else if ('slowMs' in behaviour) {
      const timer = setTimeout(() => {
        timers.delete(timer)
        route(path, response)
      }, behaviour.slowMs)
      timers.add(timer)
    } else if ('gzipBomb' in behaviour) {
      const body = gzipSync(`{"keys":[],"padding":"${' '.repeat(behaviour.gzipBomb)}"}`)
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      response.end(body)
    } else if ('oversized' in behaviour) {
      oversized(response, behaviour.oversized, behaviour.declareLength === true)
    } else if ('redirect' in behaviour) {
      response.writeHead(behaviour.status ?? 302, { location: behaviour.redirect })
      response.end()
    } else {
      answer(response, { status: behaviour.status, body: { error: 'failure' } })
    }
  }

  function oversized(response: ServerResponse, bytes: number, declareLength: boolean): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (declareLength) headers['content-length'] = String(bytes)
    response.writeHead(200, headers)
    const prefix = '{"keys":[],"padding":"'
    response.write(prefix)
    const chunk = 'x'.repeat(16 * 1024)
    // Bounded by `bytes`; the client hangs up early, which is the point.
    for (let left = bytes - prefix.length - 2; left > 0; left -= chunk.length) {
      response.write(chunk.slice(0, Math.min(left, chunk.length)))
    }
    response.end('"}')
  }

  const server = createServer(handle)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    listening = true
    return (server.address() as AddressInfo).port
  }

  async function shut(): Promise<void> {
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    if (!listening) return
    listening = false
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  const port = await listen(0)
  const url = `http://127.0.0.1:${port}`

  const state: JwksServer = {
    url,
    issuer: url,
    jwksUri: `${url}${jwksPath}`,
    keys,
    extraJwks: [],
    cacheControl: undefined,
    async addKey(alg = 'ES256', kid) {
      const key = await generateTestKey(alg, kid)
      keys.push(key)
      return key
    },
    publish: (key) => void keys.push(key),
    removeKey(kid) {
      for (let index = keys.length - 1; index >= 0; index--)
        if (keys[index]?.kid === kid) keys.splice(index, 1)
    },
    setJwksBody(body) {
      jwksBody = body
    },
    serveJwksAt: (path) => void jwksPaths.add(path),
    setJson(path, value) {
      routes.set(path, typeof value === 'function' ? (value as () => RouteAnswer) : () => ({ body: value }))
    },
    behave(behaviour, path = '*') {
      behaviours.set(path, behaviour)
    },
    hold: (path = '*') => startHold(path),
    count(path) {
      if (path !== undefined) return counts.get(path) ?? 0
      let total = 0
      for (const value of counts.values()) total += value
      return total
    },
    resetCounts: () => counts.clear(),
    async sign(overrides = {}, { nowMs = Date.now(), ...signOptions } = {}) {
      const key = signOptions.key ?? keys[0]
      if (key === undefined) throw new Error('no key published to sign with')
      return signToken(tokenClaims(url, nowMs, overrides), { ...signOptions, key })
    },
    refuse: shut,
    async restore() {
      await listen(port)
    },
    close: shut,
  }
  return state
}

/** A clock for the verifier's `clock` option; tests move it, never sleep. */
export interface TestClock {
  (): number
  advance(ms: number): void
  set(ms: number): void
}

/** A frozen clock starting at `startMs` (default: now, rounded to a whole second). */
export function createClock(startMs = Math.floor(Date.now() / 1000) * 1000): TestClock {
  let now = startMs
  return Object.assign(() => now, {
    advance(ms: number) {
      now += ms
    },
    set(ms: number) {
      now = ms
    },
  })
}

/** Records `onEvent` calls. */
export interface EventLog {
  readonly events: VerifierEvent[]
  readonly onEvent: (event: VerifierEvent) => void
  of<T extends VerifierEvent['type']>(type: T): Extract<VerifierEvent, { type: T }>[]
  clear(): void
}

export function recordEvents(): EventLog {
  const events: VerifierEvent[] = []
  return {
    events,
    onEvent: (event) => void events.push(event),
    of: <T extends VerifierEvent['type']>(type: T) =>
      events.filter((event): event is Extract<VerifierEvent, { type: T }> => event.type === type),
    clear: () => void events.splice(0),
  }
}
