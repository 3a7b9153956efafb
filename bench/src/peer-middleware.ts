/**
 * Peers that exist only as framework middleware, called in process with the
 * smallest request object each one reads (the HTTP suite runs them inside
 * their real frameworks). Each is configured as its documentation shows and
 * checks the scope the way its users would.
 */
import fastifyJwt from '@fastify/jwt'
import { expressjwt } from 'express-jwt'
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer'
import Fastify, { type FastifyRequest } from 'fastify'
import buildGetJwks from 'get-jwks'
import jwksRsa from 'jwks-rsa'
import koaJwt from 'koa-jwt'
import { type Contender, requireScope } from './contenders.js'
import { AUDIENCE, SCOPE } from './fixtures.js'

type Next = (error?: unknown) => void
type Middleware = (req: never, res: never, next: Next) => unknown

/** Runs Express-style middleware in order; resolves with `req` once the last one calls next(). */
function runChain(chain: Middleware[], req: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const step = (index: number) => (error?: unknown) => {
      if (error) return reject(error)
      const middleware = chain[index]
      if (middleware === undefined) return resolve(req)
      middleware(req as never, {} as never, step(index + 1))
    }
    step(0)()
  })
}

const expressRequest = (authorization: string) => ({
  headers: { authorization, host: '127.0.0.1' },
  method: 'GET',
  protocol: 'http',
  url: '/orders',
  originalUrl: '/orders',
  query: {},
  is: () => false,
  get(this: { headers: Record<string, string> }, name: string) {
    return this.headers[name.toLowerCase()]
  },
})

const expressOauth2JwtBearer: Contender = {
  id: 'express-oauth2-jwt-bearer',
  label: 'express-oauth2-jwt-bearer (auth + requiredScopes)',
  kind: 'peer',
  async prepare({ alg, issuer, jwksUri, workload }) {
    const chain = [
      auth({ issuer, audience: AUDIENCE, jwksUri, tokenSigningAlg: alg }),
      requiredScopes(SCOPE),
    ] as Middleware[]
    const { headers } = workload
    const n = headers.length
    return (i) => runChain(chain, expressRequest(headers[i % n] as string))
  },
}

const scopeMiddleware: Middleware = (req, _res, next) => {
  try {
    requireScope((req as { auth?: unknown }).auth)
    next()
  } catch (error) {
    next(error)
  }
}

const expressJwt: Contender = {
  id: 'express-jwt',
  label: 'express-jwt + jwks-rsa',
  kind: 'peer',
  notApplicable: ({ alg }) =>
    alg === 'EdDSA' ? 'jsonwebtoken 9 (under express-jwt) has no EdDSA' : undefined,
  async prepare({ alg, issuer, jwksUri, workload }) {
    const chain = [
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true }) as never,
        algorithms: [alg as 'RS256'],
        issuer,
        audience: AUDIENCE,
      }),
      scopeMiddleware,
    ] as Middleware[]
    const { headers } = workload
    const n = headers.length
    return (i) => runChain(chain, expressRequest(headers[i % n] as string))
  },
}

const koaJwtJwksRsa: Contender = {
  id: 'koa-jwt',
  label: 'koa-jwt + jwks-rsa',
  kind: 'peer',
  notApplicable: ({ alg }) => (alg === 'EdDSA' ? 'jsonwebtoken 9 (under koa-jwt) has no EdDSA' : undefined),
  async prepare({ alg, issuer, jwksUri, workload }) {
    const middleware = koaJwt({
      secret: jwksRsa.koaJwtSecret({ jwksUri, cache: true }) as never,
      algorithms: [alg],
      issuer,
      audience: AUDIENCE,
    })
    const { headers } = workload
    const n = headers.length
    return (i) => {
      const authorization = headers[i % n] as string
      const ctx = {
        header: { authorization },
        headers: { authorization },
        state: {} as { user?: { scope?: unknown } },
        cookies: { get: () => undefined },
        throw(status: number, message: string) {
          throw Object.assign(new Error(message), { status })
        },
      }
      return middleware(ctx as never, async () => requireScope(ctx.state.user))
    }
  },
}

const fastifyJwtGetJwks: Contender = {
  id: 'fastify-jwt',
  label: '@fastify/jwt + get-jwks',
  kind: 'peer',
  notApplicable: ({ alg }) =>
    alg === 'EdDSA' ? 'get-jwks turns keys into PEM with jwk-to-pem, which has no OKP keys' : undefined,
  async prepare({ alg, issuer, workload }) {
    const getJwks = buildGetJwks({ issuersWhitelist: [issuer], jwksPath: '/.well-known/jwks.json' })
    const app = Fastify()
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (_request: unknown, token: unknown) => {
        const { header, payload } = token as {
          header: { kid: string; alg: string }
          payload: { iss: string }
        }
        return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss })
      },
      verify: { allowedIss: issuer, allowedAud: AUDIENCE, algorithms: [alg as 'RS256'] },
    } as never)
    // request.jwtVerify lives on Fastify's request prototype: take it from one real request.
    let jwtVerify: ((this: unknown) => Promise<unknown>) | undefined
    app.get('/', async (request: FastifyRequest) => {
      jwtVerify = request.jwtVerify as never
      return 'ok'
    })
    await app.inject('/')
    await app.close()
    const verify = jwtVerify as (this: unknown) => Promise<unknown>
    const { headers } = workload
    const n = headers.length
    return async (i) => {
      // It calls itself through the request (request.jwtVerify(options, callback)), so the stub carries it.
      const request = { headers: { authorization: headers[i % n] as string }, jwtVerify: verify }
      requireScope(await request.jwtVerify())
    }
  },
}

export const peerMiddleware: Contender[] = [
  expressOauth2JwtBearer,
  expressJwt,
  koaJwtJwksRsa,
  fastifyJwtGetJwks,
]
