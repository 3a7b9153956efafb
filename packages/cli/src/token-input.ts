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
  return (await readCredential(command, argument, io)).token
}

/**
 * The token named by `argument`, as {@link readToken}, and the Authorization
 * scheme it was copied with (`Bearer ` or `DPoP `), if any: explain presents
 * it with that scheme, as the client did.
 *
 * @example
 * const { token, scheme } = await readCredential('explain', 'DPoP eyJ…', io) // scheme 'DPoP'
 */
export async function readCredential(
  command: string,
  argument: string | undefined,
  io: Io,
): Promise<{ token: string; scheme: 'Bearer' | 'DPoP' | undefined }> {
  if (argument === undefined) {
    throw new UsageError('give a token, or - to read it from standard input', command)
  }
  const raw = (argument === '-' ? await readStdin(command, io, 'the token') : argument).trim()
  const scheme = /^(bearer|dpop)\s+/i.exec(raw)?.[1]?.toLowerCase()
  const token = scheme === undefined ? raw : raw.replace(/^\S+\s+/, '')
  if (token === '') {
    throw new UsageError(argument === '-' ? 'standard input held no token' : 'the token is empty', command)
  }
  return { token, scheme: scheme === undefined ? undefined : scheme === 'dpop' ? 'DPoP' : 'Bearer' }
}

/**
 * Standard input, for a flag given `-` (bounded to 1 MiB).
 *
 * @example
 * const proof = await readStdin('explain', io, 'the DPoP proof')
 */
export async function readStdin(command: string, io: Io, what: string): Promise<string> {
  if (io.stdin.isTTY === true) {
    throw new UsageError(`- reads ${what} from standard input, but standard input is a terminal`, command)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of io.stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += buffer.byteLength
    if (size > MAX_INPUT) throw new UsageError(`standard input is larger than 1 MiB: not ${what}`, command)
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}
