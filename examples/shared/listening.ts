/**
 * Waits for a `node:http` server to listen and returns its URL and a
 * `close()` that also ends idle keep-alive connections (otherwise
 * `server.close()` waits for every client to hang up).
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A listening API: where it is, and how to stop it. */
export interface RunningServer {
  readonly url: string
  close(): Promise<void>
}

/**
 * Resolves once `server` listens; rejects if it cannot (port taken…).
 *
 * @example
 * const api = await listening(app.listen(0, '127.0.0.1'))
 * await fetch(`${api.url}/health`)
 * await api.close()
 */
export async function listening(server: Server): Promise<RunningServer> {
  if (!server.listening) await once(server, 'listening')
  const { address, family, port } = server.address() as AddressInfo
  const host = family === 'IPv6' ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
