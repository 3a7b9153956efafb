/**
 * Two facts from the issuer's response headers: how long core will keep its
 * keys (`Cache-Control`), and how far its clock is from ours (`Date`).
 */
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'
import { formatDuration, formatSkew, skewSeconds } from '../time-format.js'
import type { Probe } from './probe.js'

// Core's bounds on a key set's freshness: at least the cooldown (30 s), at most a day.
const MIN_FRESH_S = 30
const MAX_FRESH_S = 86_400

/**
 * The `Cache-Control` check of the JWKS response.
 *
 * @example
 * cacheControlCheck(jwksProbe.headers?.get('cache-control') ?? null)
 */
export function cacheControlCheck(header: string | null): CheckLine {
  const line = (status: CheckLine['status'], detail: string, fix?: string): CheckLine => ({
    id: 'cache_control',
    status,
    label: 'Cache-Control',
    detail,
    ...(fix === undefined ? {} : { fix }),
  })
  if (header === null) {
    return line(
      'warn',
      'none: core keeps the keys for jwksCache.maxAge (10 min by default)',
      'let the issuer send Cache-Control: max-age, or set jwksCache.maxAge to how often it rotates keys',
    )
  }
  const directives = header.toLowerCase()
  const shown = printable(header)
  if (/(?:^|,)\s*(?:no-cache|no-store)\s*(?:,|$)/.test(directives)) {
    return line(
      'warn',
      `${shown}: core still keeps the keys ${MIN_FRESH_S} s (its cooldown) between fetches`,
      'a key set that may not be cached costs a fetch every 30 s per instance; ask for a max-age',
    )
  }
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/.exec(directives)
  if (match === null) {
    return line('warn', `${shown}: no max-age, core keeps the keys jwksCache.maxAge (10 min by default)`)
  }
  const seconds = Number(match[1])
  const kept = Math.min(Math.max(seconds, MIN_FRESH_S), MAX_FRESH_S)
  const bounded = kept === seconds ? '' : ` (max-age=${seconds} kept within ${MIN_FRESH_S} s … 1 d)`
  return line('pass', `${shown}: core keeps the keys ${formatDuration(kept)}${bounded}`)
}

/**
 * Clock skew from the `Date` header of the issuer's responses: their clock
 * minus ours, in seconds. `Date` has one-second resolution, so ±1 s is noise.
 *
 * @example
 * clockCheck(probes, 5)
 */
export function clockCheck(probes: readonly Probe[], tolerance: number): CheckLine {
  // Each response's Date against our clock then; the largest skew counts (a proxy may differ).
  let worst: { skew: number; header: string } | undefined
  for (const probe of probes) {
    const header = probe.headers?.get('date')
    const skew = skewSeconds(header, probe.midpoint)
    if (header == null || skew === undefined) continue
    if (worst === undefined || Math.abs(skew) > Math.abs(worst.skew)) worst = { skew, header }
  }
  if (worst === undefined) {
    return {
      id: 'clock',
      status: 'warn',
      label: 'clock skew',
      detail: "unknown: the issuer's responses carry no usable Date header",
    }
  }
  const { skew, header } = worst
  const detail = `${formatSkew(skew)} (issuer's Date ${printable(header)}, tolerance ${tolerance} s)`
  if (Math.abs(skew) <= 1) return { id: 'clock', status: 'pass', label: 'clock skew', detail }
  if (Math.abs(skew) <= tolerance) {
    return { id: 'clock', status: 'pass', label: 'clock skew', detail: `${detail}, within tolerance` }
  }
  const ahead = skew > 0 ? "the issuer's clock is ahead" : "the issuer's clock is behind"
  return {
    id: 'clock',
    status: 'fail',
    label: 'clock skew',
    detail: `${detail}: ${ahead}, so fresh tokens look ${skew > 0 ? 'issued in the future or not yet valid' : 'expired early'}`,
    fix: 'synchronise the clocks (NTP) on this machine and the issuer; raising clockTolerance only hides it',
  }
}
