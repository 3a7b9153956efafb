/**
 * A mistake in how the command was called (a flag, a missing argument, a
 * config file that does not parse): exit status 2 and a message, never a
 * stack trace.
 *
 * @example
 * throw new UsageError('--issuer needs a URL', 'doctor')
 */
export class UsageError extends Error {
  override name = 'UsageError'
  /** The command whose help the message points to, if any. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}
