/**
 * What the verifier needs to know of a request on either Nest platform:
 * method, headers, the absolute URL the client addressed (DPoP's `htu`) and
 * the connection (mTLS's peer certificate). The URL is built the way each
 * framework reads protocol and host, so its trust-proxy setting applies.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { firstForwarded, type RequestSource, requestUrl } from '@m2m-guard/core/adapter'

/** Fastify's request, as `@nestjs/platform-fastify` hands it to guards. */
interface FastifyRequestLike {
  readonly raw: IncomingMessage
  readonly method: string
  readonly headers: IncomingHttpHeaders
  readonly protocol: string
  readonly host?: string
  readonly hostname: string
  readonly url: string
}

/** Express's request, as `@nestjs/platform-express` hands it to guards. */
interface ExpressRequestLike extends IncomingMessage {
  readonly method: string
  readonly protocol: string
  readonly originalUrl: string
  readonly app: { get(setting: string): unknown }
}

/**
 * The {@link RequestSource} of a Nest HTTP request.
 *
 * @example
 * verifier.authorize(requestInfo(requestSource(context.switchToHttp().getRequest())), requirement, request.auth)
 */
export function requestSource(request: object): RequestSource {
  if ('raw' in request) {
    const fastify = request as FastifyRequestLike
    return {
      method: fastify.method,
      headers: fastify.headers,
      // Fastify 5 `host` keeps the port; Fastify 4 had it in `hostname`.
      url: () => requestUrl(fastify.protocol, fastify.host ?? fastify.hostname, fastify.url),
      socket: fastify.raw.socket,
    }
  }
  const express = request as ExpressRequestLike
  return {
    method: express.method,
    headers: express.headers,
    url: () => expressUrl(express),
    socket: express.socket,
  }
}

/**
 * Express's rules: `req.protocol`, and `X-Forwarded-Host` only when the
 * app's `trust proxy` setting trusts the peer (off by default); the port kept.
 */
function expressUrl(req: ExpressRequestLike): string {
  const trust = req.app.get('trust proxy fn') as
    | ((address: string | undefined, hop: number) => boolean)
    | undefined
  const forwarded = trust?.(req.socket.remoteAddress, 0)
    ? firstForwarded(req.headers['x-forwarded-host'])
    : undefined
  return requestUrl(req.protocol, forwarded ?? req.headers.host, req.originalUrl)
}
