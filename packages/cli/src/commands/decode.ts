/** `m2m-guard decode`: a token in, its header and claims out, unverified. */
import { parseCommandArgs } from '../args.js'
import { decodeToken, renderDecode } from '../decode.js'
import { DECODE_HELP } from '../help.js'
import { createStyle, type Io } from '../terminal.js'
import { readToken } from '../token-input.js'
import { UsageError } from '../usage-error.js'
import { COMMON_FLAGS, EXIT, help, print, printJson } from './shared.js'

/**
 * `m2m-guard decode`.
 *
 * @example
 * process.exitCode = await decodeCommand([token, '--json'], io)
 */
export async function decodeCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('decode', argv, COMMON_FLAGS)
  if (parsed.values.help === true) return help(io, DECODE_HELP)
  if (parsed.positionals.length > 1) throw new UsageError('give one token', 'decode')
  const token = await readToken('decode', parsed.positionals[0], io)
  const report = decodeToken(token, Date.now())
  if (parsed.values.json === true) printJson(io, report)
  else print(io, renderDecode(report, createStyle(io.stdout, io.env)))
  return report.ok ? EXIT.ok : EXIT.failed
}
