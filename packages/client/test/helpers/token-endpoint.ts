import { type RecordedRequest, type Scripted, startServer, type TestServer } from './http-server.js'

/**
 * A scriptable token endpoint at `/token`. Answers queued with `queue()` are used first, in order;
 * after that every request gets a fresh token `token-<n>` (n counts token requests from 1).
 * `metadata` serves discovery documents by path.
 */
export interface TokenEndpoint extends TestServer {
  tokenEndpoint: string
  /** Only the requests to `/token`. */
  tokenRequests: RecordedRequest[]
  queue(...answers: Array<Scripted | ((request: RecordedRequest) => Scripted | Promise<Scripted>)>): void
}

export interface TokenEndpointOptions {
  expiresIn?: number | undefined
  metadata?: Record<string, Scripted | ((request: RecordedRequest) => Scripted)>
}

export function tokenBody(n: number, expiresIn: number | undefined = 3600): Record<string, unknown> {
  return {
    access_token: `token-${n}`,
    token_type: 'Bearer',
    ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
  }
}

export async function startTokenEndpoint(options: TokenEndpointOptions = {}): Promise<TokenEndpoint> {
  const queued: Array<Scripted | ((request: RecordedRequest) => Scripted | Promise<Scripted>)> = []
  const tokenRequests: RecordedRequest[] = []
  const expiresIn = 'expiresIn' in options ? options.expiresIn : 3600
  const server = await startServer((request) => {
    if (request.path === '/token') {
      tokenRequests.push(request)
      const next = queued.shift()
      if (next !== undefined) return typeof next === 'function' ? next(request) : next
      return { body: tokenBody(tokenRequests.length, expiresIn) }
    }
    const answer = options.metadata?.[request.path] ?? { status: 404, body: { error: 'not_found' } }
    return typeof answer === 'function' ? answer(request) : answer
  })
  return {
    ...server,
    tokenEndpoint: `${server.url}/token`,
    tokenRequests,
    queue: (...answers) => {
      queued.push(...answers)
    },
  }
}
