/**
 * `m2m-guard decode TOKEN`: the header and claims, times as dates and
 * relative to now. Verifies nothing, and says so first.
 */
import type { JWTPayload, ProtectedHeaderParameters } from 'jose'
import { printable } from './printable.js'
import type { Style } from './terminal.js'
import { isoDate, relativeTime } from './time-format.js'
import { inspectToken } from './token-parts.js'

/**
 * A time claim, read.
 *
 * @example
 * const exp: TimeClaim = { claim: 'exp', date: '2026-12-01T09:27:56Z', relative: 'expires in 4 min' }
 */
export interface TimeClaim {
  claim: string
  date: string
  relative: string
}

/**
 * What `decode` found: the token's parts, or why it is not a JWT.
 *
 * @example
 * const report: DecodeReport = decodeToken(token, Date.now())
 * if (report.ok) console.log(report.payload.exp)
 */
export type DecodeReport =
  | {
      ok: true
      verified: false
      header: ProtectedHeaderParameters
      payload: JWTPayload
      times: TimeClaim[]
      signatureBytes: number
    }
  | { ok: false; verified: false; error: string }

const TIME_CLAIMS = ['iat', 'nbf', 'exp', 'auth_time'] as const

export const NOT_VERIFIED =
  'Not verified: this only reads the token, and anyone can write these claims. `m2m-guard explain` verifies it.'

/**
 * Decodes `token` without verifying it.
 *
 * @example
 * const report = decodeToken(token, Date.now())
 * if (report.ok) console.log(report.payload.iss)
 */
export function decodeToken(token: string, now: number): DecodeReport {
  const inspected = inspectToken(token)
  if (!inspected.ok) return { ok: false, verified: false, error: `not a signed JWT: ${inspected.problem}` }
  const { header, payload, signatureBytes } = inspected.parts
  const times: TimeClaim[] = []
  for (const claim of TIME_CLAIMS) {
    const date = isoDate(payload[claim])
    if (date !== undefined)
      times.push({ claim, date, relative: describeTime(claim, payload[claim] as number, now) })
  }
  return { ok: true, verified: false, header, payload, times, signatureBytes }
}

function describeTime(claim: string, at: number, now: number): string {
  const when = relativeTime(at, now)
  const future = at * 1000 > now
  if (claim === 'exp') return future ? `expires ${when}` : `expired ${when}`
  if (claim === 'nbf') return future ? `not valid until ${when}` : `valid since ${when}`
  if (claim === 'iat') return future ? `issued ${when}: in the future` : `issued ${when}`
  return when
}

/**
 * The report as text.
 *
 * @example
 * process.stdout.write(renderDecode(decodeToken(token, Date.now()), style))
 */
/** The widest a claim-name column is padded to. */
const MAX_NAME_WIDTH = 32

export function renderDecode(report: DecodeReport, style: Style): string {
  if (!report.ok) return `${style.fail('✗')} ${report.error}\n`
  const times = new Map(report.times.map((time) => [time.claim, time]))
  const section = (title: string, entries: [string, unknown][]) => {
    // Capped: one hostile claim name of 20,000 characters must not pad every line to it.
    const width = entries.reduce(
      (widest, [name]) => Math.max(widest, Math.min(printable(name).length, MAX_NAME_WIDTH)),
      0,
    )
    const lines = entries.map(([name, value]) => {
      const time = times.get(name)
      const shown = time === undefined ? printable(value) : `${time.date} ${style.dim(`(${time.relative})`)}`
      return `  ${printable(name).padEnd(width)}  ${shown}`
    })
    return `${style.bold(title)}\n${lines.join('\n')}\n`
  }
  return [
    `${style.warn('!')} ${NOT_VERIFIED}\n`,
    section('header', Object.entries(report.header)),
    section('claims', Object.entries(report.payload)),
    `${style.bold('signature')}  ${report.signatureBytes} bytes ${style.dim('(not shown)')}\n`,
  ].join('\n')
}
