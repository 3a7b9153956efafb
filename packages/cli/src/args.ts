/**
 * node:util parseArgs, with its errors turned into {@link UsageError}s that
 * name the flag, in the words of this command rather than Node's.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './usage-error.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** What {@link parseCommandArgs} returns: flag values by name, and the positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>
  positionals: string[]
}

/**
 * Parses `argv` strictly for `command`: unknown flags and missing values are usage errors.
 *
 * @example
 * const { values } = parseCommandArgs('doctor', ['--issuer', 'https://idp.example'], { issuer: { type: 'string' } })
 */
export function parseCommandArgs(command: string, argv: string[], options: Options): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
    return { values: values as ParsedArgs['values'], positionals }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(plainParseError(error as Error), command)
    }
    throw error
  }
}

// Node's messages mention "To specify an option argument starting with a dash use…" and
// similar advice meant for programmers; the first sentence names the flag.
function plainParseError(error: Error): string {
  const first = error.message.split('. ')[0] ?? error.message
  return first.replace(/^Unknown option '([^']+)'$/, 'unknown flag $1')
}

/**
 * A string flag's value, or undefined; refuses an empty value.
 *
 * @example
 * const issuer = stringFlag('doctor', parsed, 'issuer')
 */
export function stringFlag(command: string, parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`--${name} needs a value`, command)
  }
  return value
}

/**
 * A repeatable string flag's values, each also split on spaces and commas (`--scope "a b"`).
 *
 * @example
 * listFlag(parsed, 'scope') // ['orders:read', 'orders:write']
 */
export function listFlag(parsed: ParsedArgs, name: string): string[] {
  const value = parsed.values[name]
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
  return raw.flatMap((item) => String(item).split(/[\s,]+/)).filter((item) => item !== '')
}

/**
 * A non-negative integer flag, or `fallback`.
 *
 * @example
 * const timeout = integerFlag('doctor', parsed, 'timeout', 5000)
 */
export function integerFlag(command: string, parsed: ParsedArgs, name: string, fallback: number): number {
  const value = stringFlag(command, parsed, name)
  if (value === undefined) return fallback
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(`--${name} must be a whole number, got ${value}`, command)
  return Number(value)
}
