/**
 * `pnpm bench`: runs the suites and writes bench/RESULTS.md.
 *
 *   node dist/run.js [--quick] [--suite in-process,http,memory,event-loop,web] [--out FILE]
 *
 * A full run (every suite) takes about 12 minutes and writes RESULTS.md.
 * `--quick` runs every suite for a moment (the CI smoke run): it checks that
 * every contender still works, and its numbers mean nothing.
 */
import { execSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, type } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { writeCharts } from './charts.js'
import { runChild } from './child.js'
import type { EventLoopRequest, EventLoopResult } from './event-loop-child.js'
import { judge, type Measurements, verdictMark } from './goals.js'
import { judgeIssue14 } from './goals-14.js'
import { runHttp } from './http.js'
import { runInProcess } from './in-process.js'
import type { MemoryRequest, MemoryResult } from './memory-child.js'
import { renderReport } from './report.js'
import { runWeb } from './web.js'

const SUITES = ['in-process', 'http', 'memory', 'event-loop', 'web'] as const
type Suite = (typeof SUITES)[number]

function parseArgs(argv: string[]) {
  let quick = false
  let suites: Suite[] = [...SUITES]
  let out: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--quick') quick = true
    else if (arg === '--suite') {
      suites = (argv[++i] ?? '').split(',') as Suite[]
      for (const suite of suites)
        if (!SUITES.includes(suite)) throw new Error(`unknown suite "${suite}"; use ${SUITES.join(', ')}`)
    } else if (arg === '--out') out = argv[++i]
    else throw new Error(`unknown argument "${arg}"; use --quick, --suite <names>, --out <file>`)
  }
  // Only a full run of every suite replaces RESULTS.md.
  const complete = !quick && suites.length === SUITES.length
  out ??= complete ? new URL('../RESULTS.md', import.meta.url).pathname : join(tmpdir(), 'm2m-guard-bench.md')
  // The charts of a full run sit beside RESULTS.md (bench/charts/); a partial run's beside its report.
  const charts = complete
    ? new URL('../charts', import.meta.url).pathname
    : `${out.replace(/\.md$/, '')}-charts`
  return { quick, suites, out, charts }
}

const benchDir = new URL('..', import.meta.url).pathname

function versionOf(name: string): string {
  try {
    return JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}

function gitRevision(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { cwd: benchDir, encoding: 'utf8' }).trim()
    // RESULTS.md and its charts are not code: a run that rewrites them is still a run of the commit.
    const dirty = execSync(
      "git status --porcelain -- ../packages/core ../packages/express ../packages/koa ../packages/fastify . ':(exclude)RESULTS.md' ':(exclude)charts'",
      {
        cwd: benchDir,
        encoding: 'utf8',
      },
    ).trim()
    return dirty === '' ? commit : `${commit} with uncommitted changes`
  } catch {
    return 'unknown'
  }
}

/** Waits (up to `maxMs`) for the 1-minute load average to fall below `threshold`: others' builds skew timings. */
async function waitForQuiet(threshold: number, maxMs: number, log: (line: string) => void): Promise<void> {
  const until = Date.now() + maxMs
  while ((loadavg()[0] ?? 0) > threshold && Date.now() < until) {
    log(`load average ${loadavg()[0]?.toFixed(2)} > ${threshold}: waiting for the machine to settle`)
    await new Promise((resolve) => setTimeout(resolve, 15_000))
  }
}

async function main(): Promise<void> {
  const { quick, suites, out, charts } = parseArgs(process.argv.slice(2))
  const log = (line: string) => console.error(`[bench] ${line}`)
  if (!quick) await waitForQuiet(1.0, 60_000, log)
  const loadBefore = loadavg()
    .map((value) => value.toFixed(2))
    .join(', ')
  const started = performance.now()
  const measurements: Measurements = {}
  const settings: string[] = []

  if (suites.includes('in-process')) {
    const options = quick
      ? { durationMs: 5, calibrationMs: 2, repeats: 1, poolSize: 16 }
      : { durationMs: 100, calibrationMs: 10, repeats: 10, poolSize: 2000 }
    settings.push(
      `In process: each contender in a process of its own per algorithm (V8's optimisations shaped by its code alone), ${options.repeats} interleaved repeats of ${options.durationMs} ms per contender, one process running at a time, ${options.poolSize} distinct tokens per algorithm (signed once, handed to every process), 1 and 16 in flight.`,
    )
    measurements.inProcess = await runInProcess({
      algorithms: ['RS256', 'ES256', 'EdDSA'],
      inFlight: [1, 16],
      log,
      ...options,
    })
  }
  // A smoke run exists to prove every contender still works: one that failed fails it.
  const failed = (measurements.inProcess ?? []).filter((cell) => cell.notApplicable?.startsWith('failed:'))
  if (quick && failed.length > 0) {
    throw new Error(
      `in-process contenders failed: ${failed.map((cell) => `${cell.contender.id} (${cell.alg}, ${cell.workload}): ${cell.notApplicable}`).join('; ')}`,
    )
  }
  if (suites.includes('http')) {
    const options = quick
      ? { durationSeconds: 0, warmUpSeconds: 0, amount: 32, repeats: 1, distinctTokens: 32 }
      : { durationSeconds: 1.5, warmUpSeconds: 2, amount: undefined, repeats: 6, distinctTokens: 10_000 }
    settings.push(
      quick
        ? `HTTP: RS256, autocannon with 16 connections, ${options.amount} requests per server and workload.`
        : `HTTP: RS256, autocannon with 16 connections, ${options.repeats} interleaved repeats of ${options.durationSeconds} s per server after ${options.warmUpSeconds} s of warm-up; ${options.distinctTokens} distinct tokens, each server cycling through them. Each server's token cache holds only what its own workloads put there: plain m2m-guard (and with usage, with metrics) runs the reused token only (judged); a server of its own, m2m-guard with a token cache twice the pool warmed with one pass over it, runs the distinct tokens (every token cached: 10,000 clients each reusing its token; judged) and the reused token (informational: the GC's cost of a cache holding 10,000 tokens); m2m-guard with a cache half the pool runs the distinct tokens (every token new, as to the peers, which keep no token cache; informational). Express also runs two control rows on the reused token (a no-op middleware; an async no-op setting req.auth; not judged).`,
    )
    measurements.http = await runHttp({
      frameworks: ['express', 'koa', 'fastify'],
      connections: 16,
      log,
      ...options,
    })
  }
  if (suites.includes('memory')) {
    const request: MemoryRequest = quick
      ? { tokens: 200, loadMs: 200, samples: 2, churnTokens: 64 }
      : { tokens: 100_000, loadMs: 40_000, samples: 10, churnTokens: 20_000 }
    settings.push(
      `Memory: ${request.tokens} tokens cached; churn load for ${request.loadMs / 1000} s, ${request.samples} heap samples.`,
    )
    log('memory: caching distinct tokens')
    measurements.memory = await runChild<MemoryRequest, MemoryResult>('./memory-child.js', request, 600_000)
  }
  if (suites.includes('event-loop')) {
    const request: EventLoopRequest = quick
      ? { algorithms: ['RS256', 'ES256', 'EdDSA'], durationMs: 30, poolSize: 32 }
      : { algorithms: ['RS256', 'ES256', 'EdDSA'], durationMs: 2000, poolSize: 2000 }
    settings.push(`Event loop: ${request.durationMs} ms per driver and algorithm.`)
    log('event loop: measuring delay')
    measurements.eventLoop = await runChild<EventLoopRequest, EventLoopResult[]>(
      './event-loop-child.js',
      request,
      300_000,
    )
  }

  if (suites.includes('web')) {
    const request = quick
      ? { durationMs: 5, repeats: 1, poolSize: 16 }
      : { durationMs: 300, repeats: 6, poolSize: 2000 }
    settings.push(
      `Web: ${request.repeats} interleaved repeats of ${request.durationMs} ms per variant, on Node and Bun; ${request.poolSize} distinct tokens.`,
    )
    measurements.web = await runWeb(request, log)
  }

  const cpu = cpus()
  const verdicts = judge(measurements)
  const issue14 = judgeIssue14(measurements)
  const chartFiles = writeCharts(measurements, charts).map((chart) => ({
    ...chart,
    file: relative(dirname(out), chart.file),
  }))
  const report = renderReport(
    {
      date: new Date().toISOString(),
      mode: quick ? 'quick (smoke: the numbers mean nothing)' : 'full',
      command: `pnpm bench${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: [
        `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${type()} ${process.arch}`,
        `Node ${process.version}`,
        `Load average (1, 5, 15 min): ${loadBefore} before, ${loadavg()
          .map((value) => value.toFixed(2))
          .join(', ')} after`,
        `m2m-guard at ${gitRevision()}`,
      ],
      versions: [
        '@m2m-guard/core',
        'jose',
        'fast-jwt',
        'aws-jwt-verify',
        'jsonwebtoken',
        'jwks-rsa',
        '@fastify/jwt',
        'get-jwks',
        'express-oauth2-jwt-bearer',
        'express-jwt',
        'koa-jwt',
        'express',
        'koa',
        '@koa/router',
        'fastify',
        'autocannon',
        '@opentelemetry/sdk-metrics',
      ].map((name) => [name, versionOf(name)]),
      durationSeconds: (performance.now() - started) / 1000,
      settings,
    },
    measurements,
    { issue14, issue6: verdicts },
    chartFiles,
  )
  writeFileSync(out, report)
  if (quick) log('quick run: every contender ran; its numbers are too short to judge any goal')
  else {
    for (const verdict of [...issue14, ...verdicts]) {
      const mark = verdictMark(verdict)
      log(`${mark === 'not met' ? 'NOT MET' : mark}: ${verdict.goal}`)
    }
  }
  log(`wrote ${out}`)
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error)
    process.exit(1)
  },
)
