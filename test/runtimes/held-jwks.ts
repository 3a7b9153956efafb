/**
 * A JWKS server on 127.0.0.1:0 whose answers the test holds and releases, to
 * watch what a runtime does with a key refresh after it has answered the
 * request that started it: `${url}/<name>/jwks` serves `jwks()` (the local
 * issuer's published keys), counted per name. A held request that the client
 * abandons (closes its connection before the answer) is reported.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface HeldRequest {
  /** Resolves once a request for the name arrives. */
  readonly arrived: Promise<void>
  /** Resolves if the client closes the connection before it gets the answer. */
  readonly abandoned: Promise<void>
  /** Whether the answer was written to an open connection. */
  readonly answered: boolean
  /** Answers the held requests (and stops holding). */
  release(): void
}

export interface HeldJwksServer {
  readonly url: string
  /** Requests for `name`'s key set so far. */
  count(name: string): number
  /** Holds the next requests for `name`'s key set until released. */
  hold(name: string): HeldRequest
  close(): Promise<void>
}

export async function startHeldJwks(jwks: () => unknown): Promise<HeldJwksServer> {
  const counts = new Map<string, number>()
  const holds = new Map<string, (response: ServerResponse) => void>()
  const sockets = new Set<Socket>()
  const answer = (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' })
    response.end(JSON.stringify(jwks()))
  }
  const server = createServer((request, response) => {
    const name = /^\/([a-z]+)\/jwks$/.exec(request.url ?? '')?.[1]
    if (name === undefined) {
      response.writeHead(404).end()
      return
    }
    counts.set(name, (counts.get(name) ?? 0) + 1)
    const hold = holds.get(name)
    if (hold === undefined) answer(response)
    else hold(response)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  function hold(name: string): HeldRequest {
    const waiting: ServerResponse[] = []
    let answered = false
    let arrive = () => {}
    let abandon = () => {}
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve
    })
    const abandoned = new Promise<void>((resolve) => {
      abandon = resolve
    })
    const keep = (response: ServerResponse) => {
      waiting.push(response)
      response.once('close', () => {
        if (!response.writableEnded) abandon()
      })
      arrive()
    }
    holds.set(name, keep)
    return {
      arrived,
      abandoned,
      get answered() {
        return answered
      },
      release() {
        if (holds.get(name) === keep) holds.delete(name)
        for (const response of waiting.splice(0)) {
          if (response.destroyed) continue
          answer(response)
          answered = true
        }
      },
    }
  }

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (name) => counts.get(name) ?? 0,
    hold,
    async close() {
      holds.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `promise`, or a rejection naming `what` after `ms`: every wait on a runtime is bounded. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
