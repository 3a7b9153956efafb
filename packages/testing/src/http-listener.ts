import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A listening node:http server that can be closed at once, open connections and all.
 *
 * @example
 * ```ts
 * const listener = await listen((req, res) => res.end('ok'), '127.0.0.1', 0)
 * await fetch(listener.origin)
 * await listener.close()
 * ```
 */
export interface Listener {
  /** `http://host:port` (`https://` with TLS), IPv6 hosts in brackets. */
  readonly origin: string
  readonly port: number
  /** Stops listening and destroys every connection, also those waiting on a hanging answer. Idempotent. */
  close(): Promise<void>
}

/** How {@link listen} serves: over HTTPS with `tls`; `clock` dates every answer. */
export interface ListenOptions {
  tls?: HttpsOptions | undefined
  /** ms since the epoch for every answer's `Date` header (default: node's own, the real time). */
  clock?: (() => number) | undefined
}

/**
 * Starts listening, over HTTPS when given `tls` options. Requests are handed to `handle`; a handler
 * that rejects is answered with 500 (or its connection cut, if the answer had begun), so no request
 * can take the process down.
 *
 * @example
 * ```ts
 * const { origin } = await listen(handle, '127.0.0.1', 0, { clock: () => frozen })
 * ```
 */
export async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  host: string,
  port: number,
  { tls, clock }: ListenOptions = {},
): Promise<Listener> {
  const sockets = new Set<Socket>()
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (clock !== undefined) dateAnswer(res, clock)
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}')
      } else res.destroy()
    })
  }
  // Tight timeouts: a client that trickles its request must not hold a test run hostage.
  const timeouts = { requestTimeout: 30_000, headersTimeout: 10_000 }
  const server =
    tls === undefined
      ? createServer(timeouts, onRequest)
      : createHttpsServer({ ...tls, ...timeouts }, onRequest)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  // Malformed HTTP is left to node's own clientError handling: 400, 408 or 431, then the socket goes.

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostPart = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    origin: `${tls === undefined ? 'http' : 'https'}://${hostPart}:${address.port}`,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return closing
    },
  }
}

/**
 * Dates `res` by `clock`, as an issuer whose clock reads that would (`m2m-guard doctor` measures
 * clock skew from it). A clock that throws or reads no valid time leaves node's real-time `Date`.
 */
function dateAnswer(res: ServerResponse, clock: () => number): void {
  let date: string
  try {
    date = new Date(clock()).toUTCString()
  } catch {
    return
  }
  if (date === 'Invalid Date') return
  res.sendDate = false
  res.setHeader('date', date)
}
