/**
 * Times as people read them: an ISO date and how far from now
 * ("in 4 min", "3 h 2 min ago").
 */

/**
 * A duration in seconds as the two largest units: "45 s", "4 min", "2 h 5 min", "3 d 1 h".
 *
 * @example
 * formatDuration(260) // '4 min 20 s'
 */
export function formatDuration(seconds: number): string {
  const total = Math.round(Math.abs(seconds))
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = total
  for (const [name, size] of units) {
    const count = Math.floor(rest / size)
    if (count > 0 || (parts.length === 0 && size === 1)) {
      parts.push(`${count} ${name}`)
      rest -= count * size
    }
    if (parts.length === 2 || (parts.length === 1 && rest === 0)) break
  }
  return parts.join(' ')
}

/**
 * `at` (epoch seconds) relative to `now` (epoch ms): "in 4 min" or "4 min ago".
 *
 * @example
 * relativeTime(Date.now() / 1000 + 240, Date.now()) // 'in 4 min'
 */
export function relativeTime(at: number, now: number): string {
  const delta = at - now / 1000
  if (Math.abs(delta) < 1) return 'now'
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`
}

/**
 * Epoch seconds as an ISO date, or undefined when the value is not a usable time.
 *
 * @example
 * isoDate(0) // '1970-01-01T00:00:00Z'
 */
export function isoDate(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined
  const date = new Date(seconds * 1000)
  if (Number.isNaN(date.getTime())) return undefined
  return date.toISOString().replace(/\.000Z$/, 'Z')
}

/**
 * Seconds the clock behind an HTTP `Date` header is ahead of ours (negative: behind), `local`
 * being our time (epoch ms) when the response came; undefined if the header is not a date.
 * `Date` has one-second resolution, so ours is truncated the same way and ±1 s is noise.
 *
 * @example
 * skewSeconds(new Date(Date.now() + 60_000).toUTCString(), Date.now()) // 60
 */
export function skewSeconds(header: string | null | undefined, local: number): number | undefined {
  const theirs = header == null ? Number.NaN : Date.parse(header)
  if (Number.isNaN(theirs)) return undefined
  return Math.round((theirs - Math.floor(local / 1000) * 1000) / 1000)
}

/**
 * A skew in seconds with its sign: "+10 min", "-3 s", "±0 s".
 *
 * @example
 * formatSkew(-3) // '-3 s'
 */
export function formatSkew(seconds: number): string {
  const sign = seconds > 0 ? '+' : seconds < 0 ? '-' : '±'
  return `${sign}${formatDuration(seconds)}`
}
