import { constants, type X509Certificate } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  form: URLSearchParams
  /** Over HTTPS: the client certificate presented on the connection, if any. */
  peerCertificate?: X509Certificate | undefined
}

/** Serve HTTPS with this certificate, asking clients for theirs (not requiring one). */
export interface ServerTls {
  cert: string
  key: string
}

/**
 * What to answer. `body`: an object is sent as JSON, a string as is. `hang`: never answer (the
 * client's timeout must fire). `destroy`: drop the connection without answering.
 */
export interface Scripted {
  status?: number
  headers?: Record<string, string>
  body?: unknown
  hang?: boolean
  destroy?: boolean
}

export type Handler = (request: RecordedRequest) => Scripted | Promise<Scripted>

/** A real HTTP server on 127.0.0.1:0 that records every request and answers through `handler`. */
export interface TestServer {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

export async function startServer(handler: Handler, tls?: ServerTls): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://localhost')
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      body,
      form: new URLSearchParams(body),
      ...(tls === undefined ? {} : { peerCertificate: (req.socket as TLSSocket).getPeerX509Certificate() }),
    }
    requests.push(recorded)
    const answer = await handler(recorded)
    if (answer.hang) return
    if (answer.destroy) {
      req.socket.destroy()
      return
    }
    const isJson = answer.body !== undefined && typeof answer.body !== 'string'
    const payload = isJson ? JSON.stringify(answer.body) : ((answer.body as string | undefined) ?? '')
    res.writeHead(answer.status ?? 200, {
      ...(isJson ? { 'content-type': 'application/json' } : {}),
      ...answer.headers,
    })
    res.end(payload)
  }
  const server =
    tls === undefined
      ? createServer(listener)
      : // No session tickets: a resumed session may not carry the client certificate again.
        createHttpsServer(
          { ...tls, requestCert: true, rejectUnauthorized: false, secureOptions: constants.SSL_OP_NO_TICKET },
          listener,
        )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    close: async () => {
      // Hanging requests would otherwise keep close() waiting forever.
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      )
    },
  }
}
