/**
 * How output looks: colours and symbols only where a person reads them (a
 * TTY, and NO_COLOR unset, as no-color.org asks), plain text everywhere else,
 * so logs and pipes get no escape codes.
 */

/**
 * The streams and environment a command runs with; tests and embedders pass their own.
 *
 * @example
 * const io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
 */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  env: Readonly<Record<string, string | undefined>>
}

/** Text styles; each returns its input unchanged when colours are off. */
export interface Style {
  readonly color: boolean
  ok(text: string): string
  fail(text: string): string
  warn(text: string): string
  dim(text: string): string
  bold(text: string): string
}

/**
 * The style for `stream`: colours on a TTY unless `NO_COLOR` is set to a non-empty value.
 *
 * @example
 * const style = createStyle(process.stdout, process.env)
 * console.log(style.ok('✓'), 'discovery')
 */
export function createStyle(stream: { isTTY?: boolean }, env: Io['env']): Style {
  const color = stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
  const paint = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text
  return {
    color,
    ok: paint(32, 39),
    fail: paint(31, 39),
    warn: paint(33, 39),
    dim: paint(2, 22),
    bold: paint(1, 22),
  }
}
