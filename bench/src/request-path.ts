/**
 * m2m-guard with what other issues added on the request path, each in its
 * own row beside the plain one (`ours`, contenders.ts), so that the ratio of
 * the two is what the feature costs: issuer selection among several
 * profiles, `usage: true`, OpenTelemetry metrics (@m2m-guard/otel with the
 * real SDK), and a DPoP proof per request (dpop-rows.ts).
 */
import { createVerifier, type VerifierOptions } from '@m2m-guard/core'
import { instrument } from '@m2m-guard/otel'
import { type Contender, cacheMissSize, requireClient, type Setup } from './contenders.js'
import { dpopContenders } from './dpop-rows.js'
import { AUDIENCE, createKey, SCOPE } from './fixtures.js'
import { recordingMeterProvider } from './otel-provider.js'

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
    instrument(verifier, { meterProvider: recordingMeterProvider() })
    return timed(verifier, setup)
  },
  validate: requireClient,
}

export const requestPathContenders: Contender[] = [issuerSelection, usage, otel, ...dpopContenders]

/** Each request-path row, and the plain row it is judged against. */
export const REQUEST_PATH_ROWS = requestPathContenders.map((contender) => contender.id)
