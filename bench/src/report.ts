/**
 * Renders bench/RESULTS.md: the machine, the versions, every measurement
 * (median and min–max over repeats), every ratio, and the goals' verdicts.
 */
import { type EventLoopResult, heldPerRequest } from './event-loop-child.js'
import { type Measurements, type Verdict, verdictMark } from './goals.js'
import type { HttpCell, HttpWorkload } from './http.js'
import { OURS_10K_CACHED, OURS_NEW_TOKENS, runsWorkload, VARIANTS, variantLabel } from './http-variants.js'
import type { Cell } from './in-process.js'
import { formatCount, formatNumber, formatRatio, summarize } from './measure.js'
import type { MemoryResult } from './memory-child.js'
import { cacheCounts, cellRatio, cpus, findHttp, p99s, pairedRatio, rps } from './ratios.js'
import { webSection } from './web.js'

export interface RunInfo {
  date: string
  mode: string
  command: string
  machine: string[]
  versions: [string, string][]
  durationSeconds: number
  settings: string[]
}

const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')

const range = (values: { min: number; max: number }) =>
  `${formatNumber(values.min)}–${formatNumber(values.max)}`

function inProcessSection(cells: Cell[]): string {
  const out: string[] = ['## In process', '']
  out.push(
    'Each contender runs in a process of its own, one per contender and algorithm (the reused token first, then the ' +
      "distinct tokens), so V8's inline caches and optimised code see that contender's code alone, as in a service " +
      'using one verifier: with every contender in one process, shared code went polymorphic and slowed all of them ' +
      "(m2m-guard's plain cache hit most, well below its figure measured alone). The tokens are signed once, here, and handed " +
      'to each process; the JWKS server and the redis-server are shared. Repeats stay interleaved: in each repeat, the ' +
      "suite asks every contender's process in turn, in a rotating order, for one timed measurement (after a GC), so " +
      'only one runs at a time and drift on the machine hits all of them alike. ' +
      'Operations per second (median of the repeats, min–max in brackets). "÷ floor" is this row over the floor ' +
      '(the Map floor for a reused token, the node:crypto floor for distinct tokens); "ours ÷" is m2m-guard ' +
      '(token cache on, default settings) over this row, taken repeat by repeat. Distinct tokens: every ' +
      'verifier with a token cache gets one half the size of the pool, so every token is new to it. ' +
      'DPoP rows: one DPoP-bound token and one ES256 proof, verified in full on every call; the replay store ' +
      "(memory, or Redis on a redis-server this run started on 127.0.0.1) is handed a new id per call (the proof's " +
      '`jti` and a counter), which is the work a fresh proof asks of it.',
    '',
  )
  const groups = [...new Set(cells.map((cell) => `${cell.alg}|${cell.workload}`))]
  for (const group of groups) {
    const [alg, workload] = group.split('|') as [string, string]
    const floorId = workload === 'same-token' ? 'floor-map' : 'floor-crypto'
    const inFlights = [...new Set(cells.filter((cell) => cell.alg === alg).map((cell) => cell.inFlight))]
    const ids = [
      ...new Set(
        cells.filter((cell) => cell.alg === alg && cell.workload === workload).map((c) => c.contender.id),
      ),
    ]
    const head = [
      'contender',
      ...inFlights.flatMap((n) => [`${n} in flight: ops/s (min–max)`, '÷ floor', 'ours ÷']),
    ]
    const rows = ids.map((id) => {
      const row = [cells.find((cell) => cell.contender.id === id)?.contender.label ?? id]
      for (const inFlight of inFlights) {
        const cell = cells.find(
          (c) => c.alg === alg && c.workload === workload && c.inFlight === inFlight && c.contender.id === id,
        )
        if (cell?.result === undefined) {
          row.push(`n/a: ${cell?.notApplicable ?? 'not run'}`, '', '')
          continue
        }
        const ours = cells.find(
          (c) =>
            c.alg === alg && c.workload === workload && c.inFlight === inFlight && c.contender.id === 'ours',
        )
        row.push(
          `${formatNumber(cell.result.median)} (${range(cell.result)})`,
          formatRatio(cellRatio(cells, cell, floorId)),
          id === 'ours' ? '' : formatRatio(cellRatio(cells, ours, id)),
        )
      }
      return row
    })
    out.push(
      `### ${alg}, ${workload === 'same-token' ? 'one reused token' : 'distinct tokens'}`,
      '',
      table(head, rows),
      '',
    )
  }
  return out.join('\n')
}

function httpSection(cells: HttpCell[]): string {
  const out: string[] = ['## HTTP', '']
  out.push(
    'Requests per second and p99 latency (from every 2xx response) with autocannon, and the server ' +
      'process\'s CPU time per response; median over repeats (min–max). "÷ bare" is taken repeat by repeat ' +
      'against the same framework without auth; "ours ÷" is m2m-guard\'s req/s over this row\'s. autocannon ' +
      "shares the 2 cores with the server, and this machine's speed drifts within seconds: CPU per request is " +
      'the steadier measure of what a middleware costs. Each server keeps in its token cache only what its own ' +
      "workloads put there: plain m2m-guard, with `usage: true` and with @m2m-guard/otel metrics (the SDK's " +
      'MeterProvider with a reader) see the reused token only, so their cache holds that one token; issue 14 judges ' +
      'the reused-token figures on them. Distinct tokens: autocannon sends each server the pool of distinct tokens in turn, ' +
      "carrying on where the server's previous measurement stopped, so each server cycles through the whole pool. " +
      '"m2m-guard, cache holding 10,000 tokens" is a server of its own with a token cache twice the pool, warmed with one ' +
      'pass over it: 10,000 calling clients, each reusing its token, every one of them already in the cache (the judged ' +
      'distinct-token workload). It runs the reused token too, informational: the same guard with 10,000 tokens in its ' +
      "heap for the GC to trace, so what a big cache costs shows apart from the guard's cost per request. " +
      '"m2m-guard, token cache half the pool" is the worst case, ' +
      'informational: cycling through a pool twice its cache, every token has left the cache before it comes back, so ' +
      'every request is a new token, as it is for the peers, which keep no token cache. "token cache hits / misses" are ' +
      "counted in the server process over all measured repeats, from core's `m2m-guard:token-cache` diagnostics channel, " +
      "subscribed only around m2m-guard's distinct-token measurements (the counting costs our rows a fraction of a " +
      'microsecond per request, the peers nothing). The controls (Express, reused token, not judged) show what the ' +
      'framework charges any middleware: "bare + no-op middleware" is `(req, res, next) => next()` before the handler, ' +
      '"bare + async no-op setting req.auth" sets `req.auth` to a fixed object in a resolved promise\'s callback, then ' +
      'calls `next()`, as an asynchronous guard does, without checking anything. "ours ÷" is plain m2m-guard\'s row on ' +
      'the reused token, the 10,000-cached one on distinct tokens.',
    '',
  )
  for (const framework of Object.keys(VARIANTS) as (keyof typeof VARIANTS)[]) {
    if (!cells.some((cell) => cell.framework === framework)) continue
    for (const workload of ['reused-token', 'distinct-tokens'] as HttpWorkload[]) {
      const bare = findHttp(cells, framework, 'bare', workload)
      const distinct = workload === 'distinct-tokens'
      const oursVariant = distinct ? OURS_10K_CACHED : 'm2m-guard'
      const ours = findHttp(cells, framework, oursVariant, workload)
      const oursNew = distinct ? findHttp(cells, framework, OURS_NEW_TOKENS, workload) : undefined
      // Each variant has a row in the workloads it runs (http-variants.ts), "not run" if it did not.
      const variants = VARIANTS[framework].filter((variant) => runsWorkload(variant, workload))
      const rows = variants.map((variant) => {
        const cell = findHttp(cells, framework, variant, workload)
        if (cell === undefined || bare === undefined || ours === undefined)
          return [variantLabel(variant), 'not run', '', '', '', '', '', '', '', ...(distinct ? ['', ''] : [])]
        const throughput = summarize(rps(cell.samples))
        const latency = summarize(p99s(cell.samples))
        const failures = cell.samples.reduce((sum, sample) => sum + sample.failures, 0)
        const cpu = summarize(cpus(cell.samples))
        return [
          variantLabel(variant),
          `${formatNumber(throughput.median)} (${range(throughput)})`,
          formatRatio(pairedRatio(rps(cell.samples), rps(bare.samples))),
          `${latency.median.toFixed(2)} (${latency.min.toFixed(2)}–${latency.max.toFixed(2)})`,
          formatRatio(pairedRatio(p99s(cell.samples), p99s(bare.samples))),
          `${cpu.median.toFixed(1)} (${cpu.min.toFixed(1)}–${cpu.max.toFixed(1)})`,
          formatRatio(pairedRatio(cpus(cell.samples), cpus(bare.samples))),
          variant === oursVariant ? '' : formatRatio(pairedRatio(rps(ours.samples), rps(cell.samples))),
          ...(distinct
            ? [
                oursNew === undefined || variant === OURS_NEW_TOKENS
                  ? ''
                  : formatRatio(pairedRatio(rps(oursNew.samples), rps(cell.samples))),
                cacheCountsText(cell),
              ]
            : []),
          String(failures),
        ]
      })
      const head = [
        'variant',
        'req/s (min–max)',
        'req/s ÷ bare',
        'p99 ms (min–max)',
        'p99 ÷ bare',
        'server CPU µs/req (min–max)',
        'CPU ÷ bare',
        'ours ÷ (req/s)',
        ...(distinct ? ['ours, every token new ÷ (req/s)', 'token cache hits / misses'] : []),
        'non-2xx',
      ]
      out.push(
        `### ${framework}, ${distinct ? 'distinct tokens: every one in our cache (10,000 clients reusing theirs), and every one new' : 'one reused token'}`,
      )
      out.push('', table(head, rows), '')
    }
  }
  return out.join('\n')
}

/** `hits / misses (hit rate)` over a cell's repeats, or '' where nothing was counted (bare, the peers). */
function cacheCountsText(cell: HttpCell): string {
  const counts = cacheCounts(cell)
  if (counts === undefined) return ''
  const rate = (100 * counts.hits) / Math.max(1, counts.hits + counts.misses)
  return `${formatCount(counts.hits)} / ${formatCount(counts.misses)} (${rate.toFixed(1)}% hits)`
}

function memorySection(memory: MemoryResult): string {
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`
  return [
    '## Memory',
    '',
    `- Bytes per cached token: **${formatNumber(memory.bytesPerToken)}** (heap growth after GC over ${formatNumber(memory.tokens)} distinct ${memory.alg} tokens of ${memory.tokenLength} characters, cache sized to hold them all; includes the token string).`,
    `- The same ${formatNumber(memory.tokens)} tokens through the default cache (${formatNumber(memory.defaultCacheSize)} entries): heap grew ${mb(memory.defaultCacheBytes)}.`,
    `- Heap after GC during ${formatNumber(memory.loadRequests)} requests of churn (16 in flight, ${formatNumber(memory.churnTokens)} distinct tokens cycled through the default cache): ${memory.heapSamples.map(mb).join(', ')}.`,
    '',
  ].join('\n')
}

function eventLoopSection(results: EventLoopResult[]): string {
  const rows = results.flatMap((result) =>
    (
      [
        ['idle driver', result.idle],
        ['bare signature check per request', result.signatureOnly],
        ['m2m-guard, new token per request, 1 in flight', result.oursSequential],
        ['m2m-guard, new token per request, 16 in flight', result.oursInFlight16],
        ['bare check on the thread pool, 16 in flight', result.poolCheckInFlight16],
      ] as const
    ).map(([name, delay]) => [
      result.alg,
      name,
      (delay.blockP99 * 1000).toFixed(0),
      (delay.blockMax * 1000).toFixed(0),
      delay.timerP99.toFixed(3),
      delay.timerMax.toFixed(3),
      formatNumber(delay.requests),
      (heldPerRequest(delay, result.idle) * 1000).toFixed(1),
      (result.signatureMs * 1000).toFixed(0),
    ]),
  )
  return [
    '## Event loop',
    '',
    'A driver starts one request per turn of the event loop (setImmediate), each with a token the verifier has not ' +
      'seen (its cache, half the pool, keeps evicting). "Held" is the time between two turns: the synchronous work of ' +
      'a request and its microtasks, and any GC pause. monitorEventLoopDelay (1 ms resolution) gives how late its ' +
      'timer fired. Maxima include garbage-collection pauses, which the bare-signature driver has too. "Held per request" ' +
      'is the time of all turns, less what the idle driver spends per turn, over the requests: a turn can finish several ' +
      'requests whose checks came back from the thread pool together.',
    '',
    table(
      [
        'alg',
        'driver',
        'held p99 µs',
        'held max µs',
        'timer late p99 ms',
        'timer late max ms',
        'requests',
        'held per request µs',
        'one signature check µs',
      ],
      rows,
    ),
    '',
  ].join('\n')
}

export function renderReport(
  info: RunInfo,
  measurements: Measurements,
  verdicts: { issue14: Verdict[]; issue6: Verdict[] },
  charts: { file: string; title: string }[],
): string {
  const verdictTable = (list: Verdict[]) =>
    table(
      ['goal', 'verdict', 'measured'],
      list.map((v) => [v.goal, mark(v), v.detail]),
    )
  const mark = (verdict: Verdict) => {
    const text = verdictMark(verdict)
    return text === 'met' || text === 'not met' ? `**${text}**` : text
  }
  return [
    '# m2m-guard benchmarks',
    '',
    `Produced by \`${info.command}\` on ${info.date} (${info.mode} run, ${Math.round(info.durationSeconds)} s). ` +
      'Numbers are only comparable within one run: re-run `pnpm bench` on your machine rather than compare with another.',
    '',
    '## Goals (issue 14, and issue 11’s DPoP row)',
    '',
    verdictTable(verdicts.issue14),
    '',
    '## Goals (issue 6)',
    '',
    verdictTable(verdicts.issue6),
    '',
    '## Charts',
    '',
    ...charts.map((chart) => `- [${chart.title}](${chart.file})`),
    '',
    ...charts.map((chart) => `![${chart.title}](${chart.file})`),
    '',
    '## Machine and versions',
    '',
    ...info.machine.map((line) => `- ${line}`),
    '',
    table(['package', 'version'], info.versions),
    '',
    '## Settings',
    '',
    ...info.settings.map((line) => `- ${line}`),
    '',
    measurements.inProcess ? inProcessSection(measurements.inProcess) : '',
    measurements.http ? httpSection(measurements.http) : '',
    measurements.memory ? memorySection(measurements.memory) : '',
    measurements.eventLoop ? eventLoopSection(measurements.eventLoop) : '',
    measurements.web ? webSection(measurements.web) : '',
  ].join('\n')
}
