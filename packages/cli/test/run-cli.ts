import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// The built binary, through its committed bin shim, exactly as npm links it.
const BIN = fileURLToPath(new URL('../bin/m2m-guard.js', import.meta.url))
const LIMIT_MS = 20_000

const running = new Set<ChildProcess>()

/** What one run of the binary gave. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `m2m-guard ...args`, optionally feeding `stdin`; killed after 20 s. */
export function cli(args: string[], options: { stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdin?.end(options.stdin ?? '')
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Kills any child still running (a test that failed half-way). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

/** The output line that starts with `symbol label`, whitespace-normalised. */
export function line(output: string, symbol: string, label: string): string | undefined {
  return output
    .split('\n')
    .find((text) => text.startsWith(`${symbol} ${label} `) || text.startsWith(`${symbol} ${label}  `))
    ?.replace(/\s+/g, ' ')
}

/** `{ label: symbol }` for every check line of a report. */
export function symbols(output: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const text of output.split('\n')) {
    const match = /^([✓✗!–]) (\S+(?: \S+)?)\s{2,}/.exec(text)
    if (match !== null) result[(match[2] as string).trim()] = match[1] as string
  }
  return result
}
