import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  form: URLSearchParams
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

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const server: Server = createServer(async (req, res) => {
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
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
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
