/**
 * Plain-text layout of the demo's results: aligned columns, no colours, so
 * it reads the same in a terminal, a CI log or a file.
 */
import type { Framework } from './world.js'

/** One call the demo made, and what came of it. */
export interface DemoRow {
  readonly framework: Framework
  /** Who called: a client id, or how the request was made (`(no token)`, `forged token`…). */
  readonly client: string
  readonly method: string
  readonly path: string
  readonly status: number
  /** The planned status; `status !== expected` means something is wrong. */
  readonly expected: number
  readonly why: string
}

const HEADINGS = ['FRAMEWORK', 'CLIENT', 'CALL', 'STATUS', 'WHY'] as const

/**
 * Lines of an aligned table, frameworks separated by a blank line. A row
 * whose status is not the planned one says so. With `width` (a terminal's
 * columns), the last column wraps under itself instead of past the edge.
 *
 * @example
 * formatTable(rows, { width: process.stdout.isTTY ? process.stdout.columns : undefined }).join('\n')
 */
export function formatTable(
  rows: readonly DemoRow[],
  options: { width?: number | undefined } = {},
): string[] {
  const methodWidth = Math.max(...rows.map((row) => row.method.length))
  const cells = rows.map((row) => [
    row.framework,
    row.client,
    `${row.method.padEnd(methodWidth)} ${row.path}`,
    row.status === row.expected ? String(row.status) : `${row.status}!`,
    row.status === row.expected ? row.why : `expected ${row.expected}; got ${row.why}`,
  ])
  const widths = HEADINGS.map((heading, column) =>
    Math.max(heading.length, ...cells.map((cell) => (cell[column] ?? '').length)),
  )
  const indent = 2 + widths.slice(0, -1).reduce((sum, width) => sum + width + 2, 0)
  const whyWidth =
    options.width === undefined ? Number.POSITIVE_INFINITY : Math.max(30, options.width - 1 - indent)
  const line = (cell: readonly string[]) => {
    const [first = '', ...more] = wrap(cell.at(-1) ?? '', whyWidth)
    const start = cell.slice(0, -1).map((text, column) => text.padEnd(widths[column] ?? 0))
    return [
      `  ${[...start, first].join('  ')}`.trimEnd(),
      ...more.map((text) => `${' '.repeat(indent)}${text}`),
    ]
  }

  const lines = line(HEADINGS)
  cells.forEach((cell, index) => {
    if (index > 0 && rows[index - 1]?.framework !== rows[index]?.framework) lines.push('')
    lines.push(...line(cell))
  })
  return lines
}

/** Splits `text` at spaces into lines of at most `width` characters (longer words stay whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current)
      current = word
    } else {
      current = current === '' ? word : `${current} ${word}`
    }
  }
  return [...lines, current]
}

/**
 * One line: how many calls, how many as planned, what they answered, and
 * whether every framework answered every call alike.
 *
 * @example
 * summarize(rows) // '48 calls, all as planned: 24 allowed, 12 × 401, 9 × 403, 3 × 503. Express, Koa and Fastify answered alike.'
 */
export function summarize(rows: readonly DemoRow[]): string {
  const unexpected = rows.filter((row) => row.status !== row.expected).length
  const allowed = rows.filter((row) => row.status < 300).length
  const refused = new Map<number, number>()
  for (const row of rows) if (row.status >= 300) refused.set(row.status, (refused.get(row.status) ?? 0) + 1)
  const counts = [
    `${allowed} allowed`,
    ...[...refused].sort(([a], [b]) => a - b).map(([s, n]) => `${n} × ${s}`),
  ]
  const planned = unexpected === 0 ? 'all as planned' : `${unexpected} NOT as planned (marked !)`
  return `${rows.length} calls, ${planned}: ${counts.join(', ')}. ${alike(rows)}`
}

/** Whether every framework gave every planned call the same status and reason. */
function alike(rows: readonly DemoRow[]): string {
  const byFramework = new Map<Framework, string[]>()
  for (const row of rows) {
    const answers = byFramework.get(row.framework) ?? []
    answers.push(`${row.method} ${row.path} ${row.client} ${row.status} ${row.why}`)
    byFramework.set(row.framework, answers)
  }
  const [first, ...others] = [...byFramework.values()].map((answers) => answers.join('\n'))
  const names = [...byFramework.keys()].map((name) => name.charAt(0).toUpperCase() + name.slice(1))
  const list = `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
  return others.every((answers) => answers === first)
    ? `${list} answered alike.`
    : `${list} did not all answer alike.`
}
