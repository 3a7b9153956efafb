/**
 * The doctor's verdicts on the key set's fetch: its answer (status, time,
 * size, against core's limits) and the redirects on the way.
 */
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'
import { fixForFailure, type Probe } from './probe.js'

/**
 * The "JWKS" check of the key set's probe.
 *
 * @example
 * jwksCheck(await probeUrl(jwksUri, options)).status // 'pass'
 */
export function jwksCheck(probe: Probe): CheckLine {
  const line = (status: CheckLine['status'], detail: string, fix?: string): CheckLine => ({
    id: 'jwks',
    status,
    label: 'JWKS',
    detail,
    ...(fix === undefined ? {} : { fix }),
  })
  if (probe.error !== undefined)
    return line('fail', `${probe.url}: ${printable(probe.error)}`, fixForFailure(probe.error))
  if (probe.status !== 200) {
    return line(
      'fail',
      `${probe.url} answered HTTP ${probe.status} in ${probe.ms} ms`,
      probe.status !== undefined && probe.status >= 500
        ? 'the issuer is failing: core serves cached keys for jwksCache.staleIfError (6 h), then answers 503'
        : 'check the key URL: core needs HTTP 200 with the key set',
    )
  }
  if (probe.oversized === true) {
    return line(
      'fail',
      `${probe.url}: larger than 512 KiB`,
      'core refuses key sets over jwksCache.maxResponseBytes (256 KiB)',
    )
  }
  const bytes = Buffer.byteLength(probe.body ?? '')
  if (bytes > 256 * 1024) {
    return line(
      'fail',
      `${probe.url}: ${bytes} bytes`,
      'core refuses key sets over jwksCache.maxResponseBytes (256 KiB)',
    )
  }
  const slow = probe.ms > 1000
  return line(
    slow ? 'warn' : 'pass',
    `${probe.url} answered 200 in ${probe.ms} ms (${bytes} bytes)`,
    slow
      ? 'slow key fetches delay the first request after each refresh: call verifier.warmUp() at boot'
      : undefined,
  )
}

/**
 * The "redirects" check over every probe: none, same-origin (a warning), or one core refuses.
 *
 * @example
 * redirectCheck([metadataProbe, jwksProbe]).detail // 'none'
 */
export function redirectCheck(probes: readonly Probe[]): CheckLine {
  const redirects = probes.flatMap((probe) => probe.redirects)
  const refused = probes.find((probe) => probe.error?.includes('redirect') === true)
  if (refused !== undefined) {
    return {
      id: 'redirects',
      status: 'fail',
      label: 'redirects',
      detail: `${printable(redirects.join(', '))}: ${printable(refused.error)}`,
      fix: 'configure the final URL (--jwks-uri / jwksUri); keys must come from the origin asked',
    }
  }
  if (redirects.length === 0) return { id: 'redirects', status: 'pass', label: 'redirects', detail: 'none' }
  return {
    id: 'redirects',
    status: 'warn',
    label: 'redirects',
    detail: `${printable(redirects.join(', '))} (same origin: core follows up to 3)`,
    fix: 'configure the final URL to save a round trip per fetch',
  }
}
