/**
 * `m2m-guard doctor`: is this issuer usable by core, as configured? Each
 * check is one line; the last one runs core's own verifier (`warmUp`), so
 * the doctor and the service can never disagree about the keys.
 */
import type { AsymmetricAlgorithm, VerifierOptions } from '@m2m-guard/core'
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'
import { discover, skipped } from './discovery.js'
import { jwksCheck, redirectCheck } from './fetch-checks.js'
import { cacheControlCheck, clockCheck } from './freshness.js'
import { keySetCheck } from './key-set.js'
import { type Probe, type ProbeOptions, probeUrl } from './probe.js'
import { transportVerdict } from './url-policy.js'
import { verifierCheck } from './verifier-check.js'

/**
 * What to examine.
 *
 * @example
 * const options: DoctorOptions = { issuer: 'https://idp.example', audience: 'https://orders.example', timeout: 2000 }
 */
export interface DoctorOptions {
  issuer: string
  audience: string
  /** Skip discovery and use this key URL, as the `jwksUri` option does. */
  jwksUri?: string | undefined
  allowInsecureHttp?: boolean | undefined
  /** Per request, in ms. Default 5000 (core's jwksCache.timeout). */
  timeout?: number | undefined
  /** The `algorithms` option, if narrowed: keys for others are skipped. Default every asymmetric one. */
  algorithms?: readonly AsymmetricAlgorithm[] | undefined
  /** Seconds of skew core tolerates. Default 5. */
  clockTolerance?: number | undefined
  fetch?: typeof globalThis.fetch | undefined
  clock?: (() => number) | undefined
  /**
   * The verifier options the last check builds core's verifier from (a config file's, for one
   * of its issuers). Default: `issuer`, `audience`, `jwksUri` and `allowInsecureHttp`.
   */
  verifierOptions?: VerifierOptions | undefined
  /** Told before each network step, for a progress line. */
  onProgress?: ((step: string) => void) | undefined
}

/**
 * The doctor's findings.
 *
 * @example
 * const report: DoctorReport = await runDoctor(options)
 * process.exitCode = report.ok ? 0 : 1
 */
export interface DoctorReport {
  ok: boolean
  issuer: string
  audience: string
  jwksUri: string | undefined
  checks: CheckLine[]
}

/**
 * Runs every check against the issuer.
 *
 * @example
 * const report = await runDoctor({ issuer: 'https://idp.example', audience: 'https://orders.example' })
 * console.log(report.ok)
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const probeOptions: ProbeOptions = {
    timeout: options.timeout ?? 5000,
    fetch: options.fetch ?? globalThis.fetch,
    clock: options.clock ?? Date.now,
  }
  const allowInsecureHttp = options.allowInsecureHttp ?? false
  const progress = options.onProgress ?? (() => {})
  const checks: CheckLine[] = []
  const report = (jwksUri: string | undefined): DoctorReport => ({
    ok: checks.every((check) => check.status !== 'fail'),
    issuer: options.issuer,
    audience: options.audience,
    jwksUri,
    checks,
  })

  const issuerUrl = urlCheck('issuer_url', 'issuer URL', options.issuer, allowInsecureHttp)
  checks.push(issuerUrl.line)
  const probes: Probe[] = []
  let jwksUri = options.jwksUri
  if (jwksUri === undefined) {
    if (issuerUrl.url === undefined) return report(undefined)
    progress('discovery')
    const discovery = await discover(options.issuer, probeOptions)
    checks.push(...discovery.checks)
    probes.push(...discovery.probes)
    jwksUri = discovery.jwksUri
  } else {
    checks.push(skipped('discovery', 'discovery', 'the key URL is given (jwksUri, --jwks-uri)'))
  }
  const remaining = ['jwks', 'keys', 'cache_control', 'redirects', 'clock', 'verifier']
  if (jwksUri === undefined) {
    checks.push(skipped('jwks_uri', 'jwks_uri', 'no key URL'))
    finishWithout(checks, probes, remaining, options.clockTolerance ?? 5)
    return report(undefined)
  }
  const keyUrl = urlCheck('jwks_uri', 'jwks_uri', jwksUri, allowInsecureHttp)
  checks.push(keyUrl.line)
  if (keyUrl.url === undefined) {
    finishWithout(checks, probes, remaining, options.clockTolerance ?? 5)
    return report(jwksUri)
  }

  progress('JWKS')
  const jwks = await probeUrl(keyUrl.url.href, probeOptions)
  probes.push(jwks)
  checks.push(jwksCheck(jwks))
  if (jwks.body !== undefined) {
    checks.push(keySetCheck(jwks.body, options.algorithms))
    checks.push(cacheControlCheck(jwks.headers?.get('cache-control') ?? null))
  } else {
    checks.push(
      skipped('keys', 'keys', 'no key set'),
      skipped('cache_control', 'Cache-Control', 'no key set'),
    )
  }
  checks.push(redirectCheck(probes))
  checks.push(clockCheck(probes, options.clockTolerance ?? 5))
  progress('verifier')
  checks.push(await verifierCheck(options, jwksUri, probeOptions, allowInsecureHttp))
  return report(jwksUri)
}

function urlCheck(
  id: string,
  label: string,
  value: string,
  allowInsecureHttp: boolean,
): { line: CheckLine; url: URL | undefined } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return {
      line: {
        id,
        status: 'fail',
        label,
        detail: `${printable(value)} is not an absolute URL`,
        fix: 'give a URL such as https://idp.example',
      },
      url: undefined,
    }
  }
  const verdict = transportVerdict(url, allowInsecureHttp)
  if (!verdict.ok) {
    return {
      line: { id, status: 'fail', label, detail: `${url.href}: ${verdict.problem}`, fix: verdict.fix },
      url: undefined,
    }
  }
  return { line: { id, status: 'pass', label, detail: `${printable(value)} (${verdict.note})` }, url }
}

function finishWithout(
  checks: CheckLine[],
  probes: readonly Probe[],
  ids: string[],
  tolerance: number,
): void {
  const labels: Record<string, string> = {
    jwks: 'JWKS',
    keys: 'keys',
    cache_control: 'Cache-Control',
    redirects: 'redirects',
    clock: 'clock skew',
    verifier: 'verifier',
  }
  for (const id of ids) {
    if (id === 'redirects' && probes.some((probe) => probe.status !== undefined))
      checks.push(redirectCheck(probes))
    else if (id === 'clock' && probes.some((probe) => probe.headers !== undefined))
      checks.push(clockCheck(probes, tolerance))
    else checks.push(skipped(id, labels[id] ?? id, 'no key set'))
  }
}
