/**
 * The one way doctor and explain report: one line per check, a symbol, the
 * check's name and what was seen; under a failure (or a warning) the fix.
 */
import type { Style } from './terminal.js'

/**
 * `pass` ✓, `fail` ✗ (exit status 1), `warn` ! (worth knowing; does not fail),
 * `skip` – (not checked: an earlier check failed, or it does not apply).
 *
 * @example
 * const failed = report.checks.filter((check) => check.status === ('fail' satisfies CheckStatus))
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip'

/**
 * One check's outcome, as printed and as `--json` gives it.
 *
 * @example
 * const line: CheckLine = { id: 'jwks', status: 'pass', label: 'JWKS', detail: 'answered 200 in 4 ms' }
 */
export interface CheckLine {
  /** Stable identifier, for `--json` readers. */
  id: string
  status: CheckStatus
  /** What was checked, short. */
  label: string
  /** What was seen. */
  detail: string
  /** What to change, for `fail` and `warn`. */
  fix?: string | undefined
}

const SYMBOLS: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' }

/**
 * The lines of `checks`, aligned, styled with `style`.
 *
 * @example
 * process.stdout.write(renderChecks([{ id: 'jwks', status: 'pass', label: 'JWKS', detail: '2 keys' }], style))
 */
export function renderChecks(checks: readonly CheckLine[], style: Style): string {
  const width = Math.max(0, ...checks.map((check) => check.label.length))
  const paint: Record<CheckStatus, (text: string) => string> = {
    pass: style.ok,
    fail: style.fail,
    warn: style.warn,
    skip: style.dim,
  }
  return checks
    .map((check) => {
      const symbol = paint[check.status](SYMBOLS[check.status])
      const label = check.status === 'skip' ? style.dim(check.label.padEnd(width)) : check.label.padEnd(width)
      const line = `${symbol} ${label}  ${check.status === 'skip' ? style.dim(check.detail) : check.detail}`
      const fix =
        check.fix === undefined ? '' : `\n  ${' '.repeat(width)}  ${style.bold('fix:')} ${check.fix}`
      return `${line}${fix}\n`
    })
    .join('')
}
