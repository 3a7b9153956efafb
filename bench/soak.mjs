#!/usr/bin/env node
/**
 * Soak: a real Express service guarded by m2m-guard, in a child process, in
 * front of a real local authorization server (@m2m-guard/testing), under a
 * sustained mixed load from this process, with an issuer outage in the
 * middle. Everything listens on 127.0.0.1 only; the run is bounded in time
 * and stops by itself.
 *
 *   pnpm build && pnpm soak                    # 20 s
 *   pnpm soak --duration 120 --connections 32 --write RESULTS-soak.md   # path relative to bench/
 *
 * Load mix: valid tokens from a pool of 20 (cache hits) and from a pool of
 * 1,500 taken in turn (misses on the first round, then hits), forged tokens
 * with random kids, forged signatures under the real kid, expired tokens,
 * junk; plus a route behind a second, cold verifier that is first used
 * during the outage. The outage (40–70 % of the run) is the
 * JWKS endpoint hanging, then answering 503.
 *
 * Checks (exit code 1 if any fails): valid tokens always pass, also during the
 * outage; nothing forged, expired or junk ever passes; no 5xx but the
 * documented 503 (and that only where keys cannot be had); JWKS requests stay
 * bounded by the cooldown, not by the attack; no unhandled rejection; heap
 * growth bounded.
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const COOLDOWN_MS = 1000
const TIMEOUT_MS = 500
const JWKS_MAX_AGE_S = 2
const AUDIENCE = 'https://orders.example'

if (process.argv[2] === '--role=api') await api()
else await main()

// --- the service under test (child process) ---------------------------------

async function api() {
  const [{ createAuthServer }, { createVerifier }, { createGuard }, { default: express }] = await Promise.all(
    [
      import('@m2m-guard/testing'),
      import('@m2m-guard/core'),
      import('@m2m-guard/express'),
      import('express'),
    ],
  )
  const { monitorEventLoopDelay } = await import('node:perf_hooks')
  let unhandledRejections = 0
  let uncaughtExceptions = 0
  process.on('unhandledRejection', () => unhandledRejections++)
  process.on('uncaughtException', () => uncaughtExceptions++)

  const issuer = await createAuthServer({
    audience: AUDIENCE,
    tokenLifetime: 3600,
    jwksMaxAge: JWKS_MAX_AGE_S,
  })
  const jwksCache = { cooldown: COOLDOWN_MS, timeout: TIMEOUT_MS }
  // Key fetch attempts per verifier, as the verifier reports them (one per fetch, failed or not).
  const attempts = { main: 0, cold: 0 }
  const counting = (name) => (event) => {
    if (event.type === 'keys_fetched' || event.type === 'keys_fetch_failed') attempts[name]++
  }
  // The main verifier discovers its keys (metadata, then JWKS); the cold one is first used mid-outage.
  const main = createVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksCache,
    onEvent: counting('main'),
  })
  const cold = createVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    jwksCache,
    onEvent: counting('cold'),
  })
  const app = express()
  app.get('/orders', createGuard(main).require({ scopes: ['orders:read'] }), (req, res) => {
    res.json({ client: req.auth.clientId })
  })
  app.get('/cold', createGuard(cold).require(), (req, res) => res.json({ client: req.auth.clientId }))
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const delay = monitorEventLoopDelay({ resolution: 10 })

  const mint = (count, claims, options) =>
    Promise.all(
      Array.from({ length: count }, () => issuer.mint({ scope: 'orders:read', ...claims }, options)),
    )
  const { kid } = issuer.keys.current
  const tokens = {
    reused: await mint(20),
    fresh: await mint(1500),
    expired: await mint(20, {}, { expiresIn: -120 }),
    badSignature: await mint(20, {}, { key: 'foreign', kid }),
    wrongAudience: await mint(20, { aud: 'https://elsewhere.example' }),
  }
  const heap = () => {
    globalThis.gc?.()
    return process.memoryUsage().heapUsed
  }
  const heapBefore = heap()

  process.on('message', (message) => {
    if (message.type === 'start') delay.enable()
    if (message.type === 'fault') {
      issuer.setFault('jwks', message.fault)
      process.send({ type: 'fault-set', fault: message.fault })
    }
    if (message.type === 'stats') {
      delay.disable()
      process.send({
        type: 'stats',
        heapBefore,
        heapAfter: heap(),
        rss: process.memoryUsage().rss,
        unhandledRejections,
        uncaughtExceptions,
        jwksRequests: issuer.requests.jwks,
        attempts,
        metadataRequests: issuer.requests.metadata,
        eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
        eventLoopDelayMaxMs: delay.max / 1e6,
        keyStatus: main.keyStatus(),
      })
    }
    if (message.type === 'stop') {
      server.closeAllConnections()
      server.close()
      issuer.close().then(() => process.exit(0))
    }
  })
  process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}`, tokens })
}

// --- the load (this process) -----------------------------------------------

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      duration: { type: 'string', default: '20' },
      connections: { type: 'string', default: '24' },
      write: { type: 'string' },
    },
  })
  const durationMs = Number(values.duration) * 1000
  const connections = Number(values.connections)
  if (!(durationMs > 0 && durationMs <= 3_600_000) || !(connections > 0 && connections <= 256)) {
    throw new TypeError('--duration must be 1..3600 seconds and --connections 1..256')
  }
  let unhandledRejections = 0
  process.on('unhandledRejection', () => unhandledRejections++)

  const child = fork(fileURLToPath(import.meta.url), ['--role=api'], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), durationMs + 60_000).unref()
  const next = (type) => new Promise((resolve) => child.on('message', (m) => m.type === type && resolve(m)))
  const { url, tokens } = await next('ready')

  const outageStart = durationMs * 0.4
  const hangEnd = durationMs * 0.55
  const outageEnd = durationMs * 0.7
  // The phase changes when the issuer has confirmed the fault switch, not when the timer fires.
  let phase = 'before'
  child.on('message', (message) => {
    if (message.type === 'fault-set') phase = message.fault === null ? 'after' : 'outage'
  })

  const pick = (list) => list[Math.floor(Math.random() * list.length)]
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const [, forgedPayload, forgedSignature] = tokens.reused[0].split('.')
  // One request: which kind, which route, which header, and whether it may pass.
  const kinds = [
    [45, 'valid, 20 tokens', () => ['/orders', `Bearer ${pick(tokens.reused)}`, true]],
    [
      15,
      'valid, 1,500 tokens',
      () => ['/orders', `Bearer ${tokens.fresh[freshIndex++ % tokens.fresh.length]}`, true],
    ],
    [
      15,
      'forged, random kid',
      () => ['/orders', `Bearer ${forgedWithKid(randomBytes(9).toString('base64url'))}`],
    ],
    [5, 'forged, real kid', () => ['/orders', `Bearer ${pick(tokens.badSignature)}`]],
    [6, 'expired', () => ['/orders', `Bearer ${pick(tokens.expired)}`]],
    [4, 'wrong audience', () => ['/orders', `Bearer ${pick(tokens.wrongAudience)}`]],
    [5, 'junk or alg none', () => ['/orders', pick(junk)]],
    [5, 'cold verifier', () => ['/cold', `Bearer ${pick(tokens.reused)}`, true]],
  ]
  let freshIndex = 0
  const forgedWithKid = (kid) =>
    `${b64({ alg: 'RS256', kid, typ: 'at+jwt' })}.${forgedPayload}.${forgedSignature}`
  const junk = [
    'Bearer',
    'Basic dXNlcjpwYXNz',
    `Bearer ${b64({ alg: 'none' })}.${forgedPayload}.`,
    `Bearer ${'A'.repeat(12_000)}`, // long junk, still under Node's 16 KiB header limit
    'Bearer a.b.c',
    `Bearer ${tokens.reused[0]} ${tokens.reused[0]}`,
  ]
  const totalWeight = kinds.reduce((sum, [weight]) => sum + weight, 0)
  const chooseKind = (phase) => {
    let roll = Math.random() * totalWeight
    for (const kind of kinds) {
      roll -= kind[0]
      // The cold verifier stays untouched until the outage, so that it meets the outage cold.
      if (roll < 0) return kind[1] === 'cold verifier' && phase === 'before' ? kinds[0] : kind
    }
    return kinds[0]
  }

  /** stats[kind][phase] = { count, statuses: {status: n}, latencies: number[] } */
  const stats = {}
  const record = (kind, phase, status, ms) => {
    stats[kind] ??= {}
    stats[kind][phase] ??= { count: 0, statuses: {}, latencies: [] }
    const entry = stats[kind][phase]
    entry.count++
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1
    if (entry.latencies.length < 200_000) entry.latencies.push(ms)
  }
  const violations = []

  child.send({ type: 'start' })
  const started = performance.now()
  const faults = [
    setTimeout(() => child.send({ type: 'fault', fault: 'hang' }), outageStart),
    setTimeout(() => child.send({ type: 'fault', fault: 'down' }), hangEnd),
    setTimeout(() => child.send({ type: 'fault', fault: null }), outageEnd),
  ]
  console.error(
    `soak: ${values.duration} s, ${connections} connections, outage ${(outageStart / 1000).toFixed(1)}–${(outageEnd / 1000).toFixed(1)} s (hang, then 503)`,
  )

  async function worker() {
    while (performance.now() - started < durationMs) {
      const sentIn = phase
      const [, name, build] = chooseKind(sentIn)
      const [path, authorization, mayPass = false] = build()
      const sent = performance.now()
      let status
      try {
        const response = await fetch(`${url}${path}`, { headers: { authorization } })
        await response.arrayBuffer()
        status = response.status
      } catch {
        status = 'network error'
      }
      record(name, sentIn, status, performance.now() - sent)
      if (status === 200 && !mayPass) violations.push(`${name} was accepted (${sentIn})`)
      if (mayPass && status !== 200 && !(name === 'cold verifier' && status === 503)) {
        violations.push(`${name} got ${status} (${sentIn})`)
      }
      if (typeof status !== 'number' || (status >= 500 && status !== 503)) {
        violations.push(`${name} got ${status} (${sentIn})`)
      }
      if (status === 503 && !['cold verifier', 'forged, random kid'].includes(name)) {
        violations.push(`${name} got 503 (${sentIn}): only requests that need keys no one has may`)
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsedMs = performance.now() - started
  for (const timer of faults) clearTimeout(timer)

  child.send({ type: 'stats' })
  const api = await next('stats')
  child.send({ type: 'stop' })
  await new Promise((resolve) => child.once('exit', resolve))
  clearTimeout(killer)

  // Per verifier: the first fetch, then at most one per cooldown (expiry refreshes and unknown kids alike).
  const jwksBound = 2 * (1 + Math.ceil(elapsedMs / COOLDOWN_MS))
  const perVerifierBound = 1 + Math.ceil(elapsedMs / COOLDOWN_MS)
  for (const [name, count] of Object.entries(api.attempts)) {
    if (count > perVerifierBound)
      violations.push(`${name} verifier fetched keys ${count} times > ${perVerifierBound}`)
  }
  if (api.jwksRequests > jwksBound) violations.push(`JWKS requests ${api.jwksRequests} > bound ${jwksBound}`)
  if (api.unhandledRejections + api.uncaughtExceptions + unhandledRejections > 0) {
    violations.push('unhandled rejections or uncaught exceptions')
  }
  const heapGrowthMb = (api.heapAfter - api.heapBefore) / 2 ** 20
  if (heapGrowthMb > 64) violations.push(`heap grew by ${heapGrowthMb.toFixed(1)} MiB`)

  const report = render({ values, connections, elapsedMs, stats, api, jwksBound, heapGrowthMb, violations })
  console.log(report)
  if (values.write !== undefined) {
    // The fleet soak (soak-fleet.mjs) keeps its own section at the end of the same file.
    const previous = existsSync(values.write) ? readFileSync(values.write, 'utf8') : ''
    const fleet = previous.indexOf('## Fleet soak')
    writeFileSync(values.write, fleet === -1 ? report : `${report}\n${previous.slice(fleet)}`)
  }
  process.exitCode = violations.length === 0 ? 0 : 1
}

function render({ values, connections, elapsedMs, stats, api, jwksBound, heapGrowthMb, violations }) {
  const total = Object.values(stats)
    .flatMap((phases) => Object.values(phases))
    .reduce((sum, entry) => sum + entry.count, 0)
  const forged = Object.values(stats['forged, random kid'] ?? {}).reduce((sum, entry) => sum + entry.count, 0)
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  const percentile = (list, p) => {
    const sorted = [...list].sort((a, b) => a - b)
    return sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
  }
  const lines = [
    '# Soak results',
    '',
    `Command: \`pnpm soak --duration ${values.duration} --connections ${connections}\` (after \`pnpm build\`),`,
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Express 5 + @m2m-guard/express in a child`,
    'process, @m2m-guard/testing as the issuer, load from the parent over 127.0.0.1 with keep-alive.',
    `JWKS cooldown ${COOLDOWN_MS} ms, fetch timeout ${TIMEOUT_MS} ms, JWKS max-age ${JWKS_MAX_AGE_S} s;`,
    'issuer outage from 40 % to 70 % of the run (JWKS hangs, then answers 503).',
    '',
    `- Requests served: ${total} in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round(total / (elapsedMs / 1000))}/s)`,
    `- JWKS requests: ${api.jwksRequests} (two verifiers; bound by the cooldown: ${jwksBound}); key fetches per verifier: main ${api.attempts.main}, cold ${api.attempts.cold}; metadata requests: ${api.metadataRequests};`,
    `  forged tokens with random kids sent: ${forged}`,
    `- Heap used (after GC): ${mib(api.heapBefore)} before, ${mib(api.heapAfter)} after (${heapGrowthMb >= 0 ? '+' : ''}${heapGrowthMb.toFixed(1)} MiB); RSS ${mib(api.rss)}`,
    `- Event loop delay in the service: p99 ${api.eventLoopDelayP99Ms.toFixed(1)} ms, max ${api.eventLoopDelayMaxMs.toFixed(1)} ms`,
    `- Unhandled rejections: ${api.unhandledRejections} (service), uncaught exceptions: ${api.uncaughtExceptions}`,
    `- Key set at the end: ${JSON.stringify({ ready: api.keyStatus.ready, fresh: api.keyStatus.fresh, keyCount: api.keyStatus.keyCount, lastError: api.keyStatus.lastError ?? null })}`,
    `- Violations: ${violations.length === 0 ? 'none' : ''}`,
    ...[...new Set(violations)].slice(0, 20).map((violation) => `  - ${violation}`),
    '',
  ]
  const rows = [['kind', 'phase', 'requests', 'statuses', 'p50 ms', 'p99 ms', 'max ms']]
  for (const [kind, phases] of Object.entries(stats)) {
    for (const phase of ['before', 'outage', 'after']) {
      const entry = phases[phase]
      if (entry === undefined) continue
      const statuses = Object.entries(entry.statuses)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')
      const [p50, p99, max] = [50, 99, 100].map((p) => percentile(entry.latencies, p).toFixed(1))
      rows.push([kind, phase, String(entry.count), statuses, p50, p99, max])
    }
  }
  return `${[...lines, ...table(rows, [false, false, true, false, true, true, true])].join('\n')}\n`
}

/** A Markdown table with aligned columns, as the formatter (Biome) writes it; `right` per column. */
function table(rows, right) {
  const widths = rows[0].map((_, column) => Math.max(3, ...rows.map((row) => row[column].length)))
  const line = (cells) => `| ${cells.join(' | ')} |`
  const pad = (cell, column) => (right[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))
  const rule = widths.map((width, column) =>
    right[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width),
  )
  return [line(rows[0].map(pad)), line(rule), ...rows.slice(1).map((row) => line(row.map(pad)))]
}
