/**
 * What the commands share: exit statuses, the flags every command has, and
 * how a report is printed.
 */

import { safeJson } from '../printable.js'
import type { Io } from '../terminal.js'
import { UsageError } from '../usage-error.js'

/** Exit statuses: all well, a check failed, a usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** `--json` and `--help`, on every command. */
export const COMMON_FLAGS = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

/**
 * Writes `text` to stdout.
 *
 * @example
 * print(io, renderChecks(report.checks, style))
 */
export const print = (io: Io, text: string) => io.stdout.write(text)

/**
 * Writes `value` as indented JSON to stdout.
 *
 * @example
 * printJson(io, report)
 */
export const printJson = (io: Io, value: unknown) => io.stdout.write(`${safeJson(value, 2)}\n`)

/**
 * Prints a command's help; exit status 0.
 *
 * @example
 * if (parsed.values.help === true) return help(io, DOCTOR_HELP)
 */
export function help(io: Io, text: string): number {
  print(io, `${text}\n`)
  return EXIT.ok
}

/**
 * `value` if above 0, else a usage error naming `--name`.
 *
 * @example
 * positive('doctor', 5000, 'timeout') // 5000
 */
export function positive(command: string, value: number, name: string): number {
  if (value <= 0) throw new UsageError(`--${name} must be more than 0`, command)
  return value
}
