/**
 * Peer libraries with a verify API, each used as its documentation shows,
 * fetching keys from the local issuer where the library fetches keys at all.
 * Each checks `iss`, `aud`, `exp` and the scope, like m2m-guard does.
 */
import { JwtVerifier } from 'aws-jwt-verify'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'
import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import jwksRsa from 'jwks-rsa'
import { type Contender, cacheMissSize, requireScope } from './contenders.js'
import { AUDIENCE, SCOPE } from './fixtures.js'

const joseRemote: Contender = {
  id: 'jose',
  label: 'jose jwtVerify + createRemoteJWKSet',
  kind: 'peer',
  async prepare({ alg, issuer, jwksUri, workload }) {
    const keys = createRemoteJWKSet(new URL(jwksUri))
    const options = { issuer, audience: AUDIENCE, algorithms: [alg] }
    const { tokens } = workload
    const n = tokens.length
    return async (i) => requireScope((await jwtVerify(tokens[i % n] as string, keys, options)).payload)
  },
}

/** fast-jwt has no key-set support of its own: it gets the PEM, its best case. */
const fastJwt = (cache: boolean): Contender => ({
  id: cache ? 'fast-jwt-cache' : 'fast-jwt',
  label: cache ? 'fast-jwt (static key, cache on)' : 'fast-jwt (static key)',
  kind: 'peer',
  async prepare(setup) {
    const { alg, key, issuer, workload } = setup
    const verify = createFastJwtVerifier({
      key: key.pem,
      algorithms: [alg],
      allowedIss: issuer,
      allowedAud: AUDIENCE,
      requiredClaims: ['exp'],
      // Like ours: on distinct tokens, a cache smaller than the pool, so every token is new to it.
      cache: cache && workload.name === 'distinct-tokens' ? cacheMissSize(setup) : cache,
    })
    const { tokens } = workload
    const n = tokens.length
    return (i) => requireScope(verify(tokens[i % n] as string))
  },
})

const awsJwtVerify: Contender = {
  id: 'aws-jwt-verify',
  label: 'aws-jwt-verify JwtVerifier',
  kind: 'peer',
  async prepare({ issuer, jwksUri, workload }) {
    // Its own fetcher speaks https only; this one fetches the same JWKS over the loopback's plain http.
    const jwksCache = new SimpleJwksCache({
      fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
    })
    const verifier = JwtVerifier.create({ issuer, audience: AUDIENCE, jwksUri, scope: SCOPE }, { jwksCache })
    await verifier.hydrate()
    const { tokens } = workload
    const n = tokens.length
    return (i) => verifier.verify(tokens[i % n] as string)
  },
}

const jsonwebtokenJwksRsa: Contender = {
  id: 'jsonwebtoken',
  label: 'jsonwebtoken + jwks-rsa',
  kind: 'peer',
  notApplicable: ({ alg }) => (alg === 'EdDSA' ? 'jsonwebtoken 9 does not support EdDSA' : undefined),
  async prepare({ alg, issuer, jwksUri, workload }) {
    const client = jwksRsa({ jwksUri, cache: true })
    const getKey: jsonwebtoken.GetPublicKeyOrSecret = (header, callback) => {
      client.getSigningKey(header.kid, (error, signingKey) => callback(error, signingKey?.getPublicKey()))
    }
    const options: jsonwebtoken.VerifyOptions & { complete?: false } = {
      algorithms: [alg as jsonwebtoken.Algorithm],
      issuer,
      audience: AUDIENCE,
    }
    const { tokens } = workload
    const n = tokens.length
    return (i) =>
      new Promise((resolve, reject) => {
        jsonwebtoken.verify(tokens[i % n] as string, getKey, options, (error, payload) => {
          if (error) return reject(error)
          try {
            requireScope(payload as { scope?: unknown })
            resolve(payload)
          } catch (scopeError) {
            reject(scopeError)
          }
        })
      })
  },
}

export const peers: Contender[] = [
  joseRemote,
  fastJwt(false),
  fastJwt(true),
  awsJwtVerify,
  jsonwebtokenJwksRsa,
]
