/**
 * A progress line for slow network checks, on a terminal only: a spinner and
 * the current step on stderr, erased when done. Pipes, logs and --json get
 * nothing, so their output is exactly the report.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** A progress line: `step` shows what is under way, `stop` erases it. */
export interface Progress {
  step(label: string): void
  stop(): void
}

/**
 * A spinner on `stream` when it is a TTY and `enabled`; otherwise one that does nothing.
 *
 * @example
 * const progress = createProgress(process.stderr, true)
 * progress.step('fetching the JWKS')
 * progress.stop()
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  enabled: boolean,
): Progress {
  if (!enabled || stream.isTTY !== true) return { step() {}, stop() {} }
  let label = ''
  let frame = 0
  let timer: NodeJS.Timeout | undefined
  const draw = () => {
    stream.write(`\r\u001b[2K${FRAMES[frame % FRAMES.length]} ${label}`)
    frame++
  }
  return {
    step(next) {
      label = next
      draw()
      if (timer === undefined) {
        timer = setInterval(draw, 80)
        timer.unref()
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      if (label !== '') stream.write('\r\u001b[2K')
      label = ''
    },
  }
}
