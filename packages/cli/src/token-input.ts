/**
 * Where the token comes from: the argument, or standard input for `-` (which
 * keeps it out of the shell history and the process list).
 */
import type { Io } from './terminal.js'
import { UsageError } from './usage-error.js'

// Far above any real token (core refuses more than 16,384 characters by default); a bound on
// what a pipe can make us buffer.
const MAX_INPUT = 1024 * 1024

/**
 * The token named by `argument`: the text itself, or stdin for `-`. A leading
 * `Bearer ` (as copied from an Authorization header) is dropped.
 *
 * @example
 * const token = await readToken('decode', process.argv[3], io)
 */
export async function readToken(command: string, argument: string | undefined, io: Io): Promise<string> {
  if (argument === undefined) {
    throw new UsageError('give a token, or - to read it from standard input', command)
  }
  const raw = argument === '-' ? await readStdin(command, io) : argument
  const token = raw.trim().replace(/^bearer\s+/i, '')
  if (token === '') {
    throw new UsageError(argument === '-' ? 'standard input held no token' : 'the token is empty', command)
  }
  return token
}

async function readStdin(command: string, io: Io): Promise<string> {
  if (io.stdin.isTTY === true) {
    throw new UsageError('- reads the token from standard input, but standard input is a terminal', command)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buffer.byteLength
    if (size > MAX_INPUT) throw new UsageError('standard input is larger than 1 MiB: not a token', command)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
