/**
 * The command line, as a function: argv in, exit status out. Expected
 * failures (usage, a bad config file) are messages; only a bug in this
 * package shows a stack.
 */
import { decodeCommand } from './commands/decode.js'
import { doctorCommand } from './commands/doctor.js'
import { explainCommand } from './commands/explain.js'
import { EXIT } from './commands/shared.js'
import { MAIN_HELP } from './help.js'
import type { Io } from './terminal.js'
import { UsageError } from './usage-error.js'

/**
 * Runs `m2m-guard` with `argv` (without node and the script), writing to `io`.
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env })
 */
export async function run(argv: string[], io: Io, cwd = process.cwd()): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'doctor':
        return await doctorCommand(rest, io)
      case 'explain':
        return await explainCommand(rest, io, cwd)
      case 'decode':
        return await decodeCommand(rest, io)
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io[command === undefined ? 'stderr' : 'stdout'].write(`${MAIN_HELP}\n`)
        return command === undefined ? EXIT.usage : EXIT.ok
      default:
        throw new UsageError(`unknown command ${command}`)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command === undefined ? 'm2m-guard --help' : `m2m-guard ${error.command} --help`
      io.stderr.write(`m2m-guard: ${error.message}\n(see ${hint})\n`)
      return EXIT.usage
    }
    io.stderr.write(
      `m2m-guard: unexpected error, please report it:\n${(error as Error)?.stack ?? String(error)}\n`,
    )
    return EXIT.failed
  }
}
