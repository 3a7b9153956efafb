/**
 * A small SVG writer for horizontal bar charts: one row per label, one bar
 * per series in it, the value printed at the bar's end. Written by hand
 * rather than taken from a chart library: those draw on a DOM or a canvas
 * (or bring a headless browser), and these charts are a few rectangles and
 * words that GitHub renders as an image from the Markdown.
 */

export interface BarChart {
  title: string
  /** What the values measure, under the title: `ops/s`, `µs held at p99`. */
  unit: string
  series: string[]
  /** One row per label; values by series (NaN or absent: not measured). */
  rows: { label: string; values: (number | undefined)[] }[]
  /** Log scale, for rows spanning several orders of magnitude. */
  log?: boolean
  /** A vertical line at this value, labelled (a goal or a floor). */
  marker?: { value: number; label: string }
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759']
const ROW_GAP = 10
const BAR = 14
const LABEL_WIDTH = 380
const PLOT_WIDTH = 420
const VALUE_WIDTH = 90

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** `value` with three significant digits and k/M suffixes. */
export function shortNumber(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`
  if (value >= 1e4) return `${(value / 1e3).toPrecision(3)}k`
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3)
}

/** The chart as an SVG document. */
export function renderBarChart(chart: BarChart): string {
  const finite = chart.rows.flatMap((row) => row.values.filter((v): v is number => Number.isFinite(v)))
  const max = Math.max(...finite, chart.marker?.value ?? 0, 1e-9)
  const min = chart.log ? Math.max(1e-9, Math.min(...finite) / 2) : 0
  const scale = (value: number) =>
    chart.log
      ? (Math.log10(value / min) / Math.log10((max * 1.05) / min)) * PLOT_WIDTH
      : (value / (max * 1.05)) * PLOT_WIDTH
  const rowHeight = chart.series.length * BAR + ROW_GAP
  const top = 58
  const height = top + chart.rows.length * rowHeight + 30
  const width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="600">${escapeXml(chart.title)}</text>`,
    `<text x="10" y="38" fill="#555">${escapeXml(chart.unit)}${chart.log ? ' (log scale)' : ''}</text>`,
  ]
  chart.series.forEach((name, k) => {
    const x = LABEL_WIDTH + k * 140
    parts.push(
      `<rect x="${x}" y="28" width="12" height="12" fill="${COLORS[k % COLORS.length]}"/>`,
      `<text x="${x + 16}" y="38">${escapeXml(name)}</text>`,
    )
  })
  chart.rows.forEach((row, r) => {
    const y = top + r * rowHeight
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + (chart.series.length * BAR) / 2 + 4}" text-anchor="end">${escapeXml(row.label)}</text>`,
    )
    row.values.forEach((value, k) => {
      const barY = y + k * BAR
      if (value === undefined || !Number.isFinite(value)) {
        parts.push(`<text x="${LABEL_WIDTH + 4}" y="${barY + BAR - 3}" fill="#999">n/a</text>`)
        return
      }
      const w = Math.max(1, scale(value))
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${barY}" width="${w.toFixed(1)}" height="${BAR - 2}" fill="${COLORS[k % COLORS.length]}"/>`,
        `<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${barY + BAR - 3}">${shortNumber(value)}</text>`,
      )
    })
  })
  if (chart.marker) {
    const x = (LABEL_WIDTH + scale(chart.marker.value)).toFixed(1)
    const bottom = top + chart.rows.length * rowHeight
    parts.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${x}" y="${bottom + 16}" fill="#c00" text-anchor="middle">${escapeXml(chart.marker.label)}</text>`,
    )
  }
  parts.push('</svg>', '')
  return parts.join('\n')
}
