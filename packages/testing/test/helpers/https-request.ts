// Token requests over HTTPS with (or without) a client certificate. Global fetch cannot present
// one, so these go through node:https; a fresh connection each time unless an agent is given.
import { type Agent, request } from 'node:https'
import type { TokenAnswer } from '../token-request.js'

export interface TlsClient {
  ca: string
  cert?: string
  key?: string
  agent?: Agent
}

export function postTls(
  url: string,
  params: Record<string, string>,
  tls: TlsClient,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  return send(url, 'POST', tls, headers, new URLSearchParams(params).toString())
}

export async function getTls(url: string, tls: TlsClient): Promise<TokenAnswer> {
  return send(url, 'GET', tls, {}, undefined)
}

function send(
  url: string,
  method: string,
  { ca, cert, key, agent }: TlsClient,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<TokenAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        ...(cert === undefined ? {} : { cert, key }),
        agent: agent ?? false,
        headers:
          body === undefined ? headers : { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        timeout: 10_000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => {
          const answerHeaders = new Headers()
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') answerHeaders.set(name, value)
          }
          resolve({ status: res.statusCode ?? 0, headers: answerHeaders, body: JSON.parse(text) })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(body)
  })
}
