/**
 * The discovery part of the doctor: both metadata locations, in core's order
 * (RFC 8414 with the well-known path inserted before the issuer's path, then
 * OpenID Connect's appended one), and whether the document names exactly
 * the configured issuer.
 */
import type { CheckLine } from '../check-lines.js'
import { printable, quoted } from '../printable.js'
import { fixForFailure, type Probe, type ProbeOptions, probeUrl } from './probe.js'

/**
 * The two metadata URLs for `issuer`, in the order core tries them.
 *
 * @example
 * metadataUrls(new URL('https://idp.example/tenant-a'))[0]?.url // 'https://idp.example/.well-known/oauth-authorization-server/tenant-a'
 */
export function metadataUrls(issuer: URL): { kind: string; url: string }[] {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '')
  return [
    { kind: 'RFC 8414', url: new URL(`/.well-known/oauth-authorization-server${path}`, issuer.origin).href },
    { kind: 'OpenID', url: new URL(`${path}/.well-known/openid-configuration`, issuer.origin).href },
  ]
}

/** What discovery found. */
export interface DiscoveryOutcome {
  checks: CheckLine[]
  /** Every request made, for the clock and redirect checks. */
  probes: Probe[]
  /** The `jwks_uri` core would use, if discovery succeeded. */
  jwksUri: string | undefined
}

interface Attempt {
  kind: string
  probe: Probe
  document?: Record<string, unknown>
  problem?: string
}

/**
 * Runs discovery for `issuer` as core does, and reports it in two lines:
 * where the metadata is, and whether its `issuer` matches.
 *
 * @example
 * const { checks, jwksUri } = await discover('https://idp.example', options)
 */
export async function discover(issuer: string, options: ProbeOptions): Promise<DiscoveryOutcome> {
  const attempts: Attempt[] = []
  for (const { kind, url } of metadataUrls(new URL(issuer))) {
    const attempt = read(kind, await probeUrl(url, options))
    attempts.push(attempt)
    if (attempt.document !== undefined && attempt.document.issuer === issuer) break
  }
  const probes = attempts.map((attempt) => attempt.probe)
  const found = attempts.find((attempt) => attempt.document !== undefined)
  if (found?.document === undefined) {
    return {
      checks: [notFound(attempts), skipped('issuer', 'issuer equality', 'no metadata')],
      probes,
      jwksUri: undefined,
    }
  }
  const matching = attempts.find((attempt) => attempt.document?.issuer === issuer)
  const used = matching ?? found
  const others = attempts.filter((attempt) => attempt !== used).map(summary)
  const where: CheckLine = {
    id: 'discovery',
    status: 'pass',
    label: 'discovery',
    detail: `${used.kind} metadata at ${used.probe.url} (${used.probe.ms} ms)${others.length > 0 ? `; ${others.join('; ')}` : ''}`,
  }
  if (matching === undefined)
    return { checks: [where, issuerMismatch(issuer, found)], probes, jwksUri: undefined }
  const jwksUri = used.document?.jwks_uri
  if (typeof jwksUri !== 'string') {
    return {
      checks: [
        where,
        {
          id: 'issuer',
          status: 'pass',
          label: 'issuer equality',
          detail: `metadata names exactly ${quoted(issuer)}`,
        },
        {
          id: 'jwks_uri',
          status: 'fail',
          label: 'jwks_uri',
          detail: 'the metadata has no "jwks_uri" string',
          fix: 'publish jwks_uri in the metadata, or give the key URL with --jwks-uri (jwksUri option)',
        },
      ],
      probes,
      jwksUri: undefined,
    }
  }
  const same: CheckLine = {
    id: 'issuer',
    status: 'pass',
    label: 'issuer equality',
    detail: `metadata names exactly ${quoted(issuer)}`,
  }
  return { checks: [where, same], probes, jwksUri }
}

function read(kind: string, probe: Probe): Attempt {
  if (probe.error !== undefined) return { kind, probe, problem: probe.error }
  if (probe.status !== 200) return { kind, probe, problem: `HTTP ${probe.status}` }
  if (probe.oversized === true) return { kind, probe, problem: 'larger than 512 KiB' }
  let document: unknown
  try {
    document = JSON.parse(probe.body ?? '')
  } catch {
    return { kind, probe, problem: 'not JSON' }
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { kind, probe, problem: 'not a JSON object' }
  }
  return { kind, probe, document: document as Record<string, unknown> }
}

function summary(attempt: Attempt): string {
  return `${attempt.kind}: ${attempt.problem !== undefined ? printable(attempt.problem) : attempt.document === undefined ? 'no document' : `names ${quoted(attempt.document.issuer)}`}`
}

function notFound(attempts: Attempt[]): CheckLine {
  const failures = attempts.map((attempt) => `${attempt.probe.url}: ${printable(attempt.problem)}`)
  const unreachable = attempts.find((attempt) => attempt.probe.error !== undefined)
  return {
    id: 'discovery',
    status: 'fail',
    label: 'discovery',
    detail: `no metadata (${failures.join('; ')})`,
    fix:
      unreachable?.probe.error !== undefined
        ? fixForFailure(unreachable.probe.error)
        : 'check --issuer (exactly what the server puts in iss); without metadata, give the key URL with --jwks-uri',
  }
}

function issuerMismatch(issuer: string, found: Attempt): CheckLine {
  const named = found.document?.issuer
  const slashOnly = typeof named === 'string' && named.replace(/\/+$/, '') === issuer.replace(/\/+$/, '')
  return {
    id: 'issuer',
    status: 'fail',
    label: 'issuer equality',
    detail: `metadata names ${quoted(named)}, not ${quoted(issuer)}${slashOnly ? ': they differ only by a trailing slash' : ''}`,
    fix: slashOnly
      ? `configure the issuer exactly as the server writes it: --issuer ${printable(named)} (issuers are compared exactly, RFC 8414 §3.3)`
      : 'the metadata belongs to another issuer: check --issuer, or the proxy in front of the server',
  }
}

/**
 * A check that was not run, and why.
 *
 * @example
 * skipped('keys', 'keys', 'no key set')
 */
export function skipped(id: string, label: string, why: string): CheckLine {
  return { id, status: 'skip', label, detail: `not checked: ${why}` }
}
