/**
 * The web suite: the fetch gate and Hono, in process, on Node and on Bun
 * (the `bun` npm package's binary), each runtime in its own child process
 * running the same compiled file (web-child.ts). Reported against the bare
 * fetch handler and bare Hono of the same runtime, repeat by repeat.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { formatNumber, formatRatio, summarize } from './measure.js'
import { pairedRatio } from './ratios.js'
import type { WebRequest, WebSample, WebVariant } from './web-child.js'

export type WebRuntime = 'node' | 'bun'

export interface WebCell extends WebSample {
  runtime: WebRuntime
  version: string
}

const fromBench = createRequire(new URL('../package.json', import.meta.url))

/** Bun's binary, from the per-platform package the `bun` npm package depends on (pnpm skips its install script). */
function bunBinary(): string {
  const fromBun = createRequire(fromBench.resolve('bun/package.json'))
  const platform = `@oven/bun-${process.platform}-${process.arch === 'x64' ? 'x64' : 'aarch64'}`
  return join(dirname(fromBun.resolve(`${platform}/package.json`)), 'bin/bun')
}

export async function runWeb(request: WebRequest, log: (line: string) => void): Promise<WebCell[]> {
  const child = new URL('./web-child.js', import.meta.url).pathname
  const cells: WebCell[] = []
  for (const runtime of ['node', 'bun'] as const) {
    const binary = runtime === 'node' ? process.execPath : bunBinary()
    const run = promisify(execFile)
    const version = (await run(binary, ['--version'], { encoding: 'utf8' })).stdout.trim()
    log(`web: fetch gate and Hono on ${runtime} ${version}`)
    const { stdout } = await run(binary, [child, JSON.stringify(request)], {
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 1 << 20,
    })
    for (const sample of JSON.parse(stdout) as WebSample[]) cells.push({ ...sample, runtime, version })
  }
  return cells
}

const BARE: Record<WebVariant, WebVariant> = {
  'bare fetch handler': 'bare fetch handler',
  'fetch gate': 'bare fetch handler',
  'bare Hono': 'bare Hono',
  'Hono + guard': 'bare Hono',
}

/** The report's section: ops/s per runtime, variant and workload, and the ratio to the bare handler. */
export function webSection(cells: WebCell[]): string {
  const out = [
    '## Web-standard: the fetch gate and Hono, on Node and Bun',
    '',
    'In process: each operation builds a `Request` with the token and awaits the `Response`; RS256. ' +
      '"÷ bare" is taken repeat by repeat against the bare fetch handler (for the fetch gate) or bare Hono ' +
      '(for Hono + guard) on the same runtime. Distinct tokens: the token cache holds half the pool, so every ' +
      'one is a signature check.',
    '',
    '| runtime | variant | workload | ops/s median (min–max) | ÷ bare |',
    '|---|---|---|---|---|',
  ]
  for (const cell of cells) {
    const bare = cells.find(
      (other) =>
        other.runtime === cell.runtime &&
        other.workload === cell.workload &&
        other.variant === BARE[cell.variant],
    )
    const ops = summarize(cell.opsPerSecond)
    const ratio = bare === undefined ? '' : formatRatio(pairedRatio(cell.opsPerSecond, bare.opsPerSecond))
    const range = `${formatNumber(ops.min)}–${formatNumber(ops.max)}`
    out.push(
      `| ${cell.runtime} ${cell.version} | ${cell.variant} | ${cell.workload} | ${formatNumber(ops.median)} (${range}) | ${cell.variant === BARE[cell.variant] ? '' : ratio} |`,
    )
  }
  return `${out.join('\n')}\n`
}
