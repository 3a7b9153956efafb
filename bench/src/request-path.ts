/**
 * m2m-guard with what other issues added on the request path, each in its
 * own row beside the plain one (`ours`, contenders.ts), so that the ratio of
 * the two is what the feature costs: issuer selection among several
 * profiles, `usage: true`, OpenTelemetry metrics (@m2m-guard/otel with the
 * real SDK), and a DPoP proof per request.
 */
import { createVerifier, type VerifierOptions } from '@m2m-guard/core'
import { instrument } from '@m2m-guard/otel'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { type Contender, cacheMissSize, requireClient, type Setup } from './contenders.js'
import { AUDIENCE, createKey, SCOPE, signToken } from './fixtures.js'

/** Profiles ahead of the bench's issuer in `issuers`: a verifier serving several tenants or providers. */
const OTHER_ISSUERS = 4

/** The verifier `ours` builds, with `extra` options and the same token cache. */
function verifierFor(setup: Setup, extra: Partial<VerifierOptions>) {
  return createVerifier({
    issuer: setup.issuer,
    audience: AUDIENCE,
    jwksUri: setup.jwksUri,
    tokenCache: setup.workload.name === 'same-token' ? undefined : cacheMissSize(setup),
    ...extra,
  } as VerifierOptions)
}

async function timed(verifier: ReturnType<typeof createVerifier>, setup: Setup) {
  await verifier.warmUp()
  const requirement = { scopes: [SCOPE] }
  const { headers } = setup.workload
  const n = headers.length
  return (i: number) => verifier.authenticate(headers[i % n], requirement)
}

const issuerSelection: Contender = {
  id: 'ours-issuers',
  label: `m2m-guard authenticate() (token cache on, ${OTHER_ISSUERS + 1} issuer profiles, the token's last)`,
  kind: 'ours',
  async prepare(setup) {
    // Other issuers with keys of their own, listed first: selection must look past them.
    const others = Array.from({ length: OTHER_ISSUERS }, (_, k) => ({
      issuer: `https://tenant-${k}.auth.example.com/`,
      audience: AUDIENCE,
      jwks: { keys: [createKey(setup.alg).jwk] },
    }))
    const verifier = createVerifier({
      issuers: [...others, { issuer: setup.issuer, audience: AUDIENCE, jwksUri: setup.jwksUri }],
      tokenCache: setup.workload.name === 'same-token' ? undefined : cacheMissSize(setup),
    })
    return timed(verifier, setup)
  },
  validate: requireClient,
}

const usage: Contender = {
  id: 'ours-usage',
  label: 'm2m-guard authenticate() (token cache on, usage: true)',
  kind: 'ours',
  notApplicable: ({ workload }) =>
    workload.name === 'same-token' ? undefined : 'measured on the reused-token path',
  prepare: (setup) => timed(verifierFor(setup, { usage: true }), setup),
  validate: requireClient,
}

const otel: Contender = {
  id: 'ours-otel',
  label: 'm2m-guard authenticate() (token cache on, @m2m-guard/otel instrument() on the OpenTelemetry SDK)',
  kind: 'ours',
  notApplicable: ({ workload }) =>
    workload.name === 'same-token' ? undefined : 'measured on the reused-token path',
  async prepare(setup) {
    const verifier = verifierFor(setup, {})
    // The SDK's provider without a reader: every instrument records, nothing is exported.
    instrument(verifier, { meterProvider: new MeterProvider() })
    return timed(verifier, setup)
  },
  validate: requireClient,
}

/**
 * A DPoP-bound reused token with a fresh-looking proof on every call:
 * authenticateRequest verifies the token from the cache and the ES256 proof
 * (its signature, claims, `ath`, `cnf.jkt`) each time. The replay store is
 * stubbed so that one proof can be timed repeatedly: the row is the cost of
 * proof verification against `ours` (same token, plain Bearer).
 */
const dpop: Contender = {
  id: 'ours-dpop',
  label: 'm2m-guard authenticateRequest() with a DPoP proof (ES256; replay store stubbed)',
  kind: 'ours',
  notApplicable: ({ workload }) =>
    workload.name === 'same-token' ? undefined : 'DPoP cost is measured on a reused token',
  async prepare(setup) {
    const { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } = await import('jose')
    const { createHash, randomUUID } = await import('node:crypto')
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const token = signToken(setup.key, setup.issuer, { cnf: { jkt: await calculateJwkThumbprint(jwk) } })
    const url = 'https://orders.example.com/orders'
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm: 'GET',
      htu: url,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(token).digest('base64url'),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(privateKey)
    const verifier = verifierFor(setup, { dpop: { proofMaxAge: 3600, replayStore: { claim: () => true } } })
    await verifier.warmUp()
    const requirement = { scopes: [SCOPE] }
    const request = { method: 'GET', url, headers: { authorization: `DPoP ${token}`, dpop: proof } }
    return () => verifier.authenticateRequest(request, requirement)
  },
  validate: requireClient,
}

export const requestPathContenders: Contender[] = [issuerSelection, usage, otel, dpop]

/** Each request-path row, and the plain row it is judged against. */
export const REQUEST_PATH_ROWS = requestPathContenders.map((contender) => contender.id)
