#!/usr/bin/env node
/**
 * Fleet soak, resource side: three instances of one API (Express +
 * @m2m-guard/express, each a child process) share one real redis-server as
 * their DPoP replay store (@m2m-guard/redis createRedisReplayStore), behind a
 * round-robin client in this process, in front of one local authorization
 * server (@m2m-guard/testing, in this process) whose JWKS endpoint has an
 * outage mid-run. Everything listens on 127.0.0.1; the run is bounded in time
 * and every process is closed at the end.
 *
 *   pnpm build && pnpm soak:fleet                       # 60 s
 *   pnpm soak:fleet --duration 90 --write RESULTS-soak.md   # replaces its section there (path relative to bench/)
 *
 * The instances sit behind one public URL (https://orders.example, through
 * X-Forwarded-Host/-Proto and `trust proxy`), so a DPoP proof made for one of
 * them is valid at every other: only the shared replay store stops it there.
 *
 * Load mix: valid Bearer tokens (20 reused, 600 taken in turn: each instance's token cache holds them all by mid-run), valid DPoP
 * requests (a bound token and a fresh proof), proofs replayed on the next
 * instance after they were accepted, the same fresh proof raced to all three
 * instances at once, forged and expired tokens. The outage (40–70 % of the run)
 * is the JWKS endpoint hanging, then answering 503.
 *
 * Checks (exit code 1 if any fails): every valid request passes, also during
 * the outage; no replayed proof passes, and of each race exactly one request
 * does; nothing forged or expired passes; no unhandled rejection; each
 * instance's heap after GC is flat over the second half of the run.
 */
import { fork } from 'node:child_process'
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const INSTANCES = 3
const AUDIENCE = 'https://orders.example'
const PUBLIC_URL = 'https://orders.example/orders'
const JWKS_MAX_AGE_S = 2
const HEAP_SAMPLES = 10
/** Heap growth over the second half of the run that still counts as flat. */
const FLAT_MIB = 8
const SECTION = '## Fleet soak: three instances, one Redis replay store'

if (process.argv[2] === '--role=api') await api()
else await main()

// --- one API instance (child process) ---------------------------------------

async function api() {
  const [
    { createVerifier },
    { createGuard },
    { createRedisReplayStore },
    { createClient },
    { default: express },
  ] = await Promise.all([
    import('@m2m-guard/core'),
    import('@m2m-guard/express'),
    import('@m2m-guard/redis'),
    import('redis'),
    import('express'),
  ])
  let unhandled = 0
  process.on('unhandledRejection', () => unhandled++)
  process.on('uncaughtException', () => unhandled++)
  const { issuer, jwksUri, redisUrl } = JSON.parse(process.argv[3])
  const redis = await createClient({ url: redisUrl }).connect()
  const verifier = createVerifier({
    issuer,
    audience: AUDIENCE,
    jwksUri,
    jwksCache: { cooldown: 1000, timeout: 500 },
    dpop: { replayStore: createRedisReplayStore(redis, { prefix: 'fleet-soak:' }) },
  })
  await verifier.warmUp()
  const app = express()
  app.set('trust proxy', 'loopback')
  app.get('/orders', createGuard(verifier).require({ scopes: ['orders:read'] }), (req, res) => {
    res.json({ client: req.auth.clientId })
  })
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const heap = () => {
    globalThis.gc?.()
    return process.memoryUsage().heapUsed
  }
  process.on('message', async (message) => {
    if (message.type === 'heap') process.send({ type: 'heap', heap: heap() })
    if (message.type === 'stop') {
      server.closeAllConnections()
      server.close()
      await redis.quit()
      process.send({ type: 'stopped', unhandled, heap: heap() }, () => process.exit(0))
    }
  })
  process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/orders` })
}

// --- redis-server, the issuer, the load (this process) -----------------------

/** A DPoP key of the caller, and proofs for the public URL of the fleet. */
function dpopKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  const jwk = { crv, kty, x, y }
  const jkt = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url') // RFC 7638: members in order
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })
  return {
    jkt,
    proof(token) {
      const claims = {
        jti: randomUUID(),
        htm: 'GET',
        htu: PUBLIC_URL,
        iat: Math.floor(Date.now() / 1000),
        ath: createHash('sha256').update(token).digest('base64url'),
      }
      const input = `${header}.${b64(claims)}`
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      return `${input}.${signature.toString('base64url')}`
    },
  }
}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      duration: { type: 'string', default: '60' },
      connections: { type: 'string', default: '24' },
      write: { type: 'string' },
    },
  })
  const durationMs = Number(values.duration) * 1000
  const connections = Number(values.connections)
  if (!(durationMs > 0 && durationMs <= 120_000) || !(connections > 0 && connections <= 128)) {
    throw new TypeError('--duration must be 1..120 seconds and --connections 1..128')
  }
  let unhandled = 0
  process.on('unhandledRejection', () => unhandled++)
  const { createAuthServer } = await import('@m2m-guard/testing')
  const { startRedisServer } = await import('./dist/redis-server.js')
  const redis = await startRedisServer()
  const issuer = await createAuthServer({
    audience: AUDIENCE,
    tokenLifetime: 3600,
    jwksMaxAge: JWKS_MAX_AGE_S,
  })
  const children = []
  const killer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL')
  }, durationMs + 60_000).unref()
  try {
    const config = JSON.stringify({ issuer: issuer.issuer, jwksUri: issuer.jwksUri, redisUrl: redis.url })
    for (let k = 0; k < INSTANCES; k++) {
      children.push(
        fork(fileURLToPath(import.meta.url), ['--role=api', config], {
          execArgv: ['--expose-gc'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      )
    }
    const reply = (child, type) =>
      new Promise((resolve) => {
        const listener = (message) => {
          if (message.type !== type) return
          child.off('message', listener)
          resolve(message)
        }
        child.on('message', listener)
      })
    const urls = (await Promise.all(children.map((child) => reply(child, 'ready')))).map((m) => m.url)
    const report = await load({ values, durationMs, connections, urls, issuer, children, reply })
    report.unhandled += unhandled
    const stopped = await Promise.all(
      children.map((child) => {
        const done = reply(child, 'stopped')
        child.send({ type: 'stop' })
        return done
      }),
    )
    report.unhandled += stopped.reduce((sum, m) => sum + m.unhandled, 0)
    const text = render(report, values)
    console.log(text)
    if (values.write !== undefined) writeSection(values.write, text)
    process.exitCode = report.violations.length === 0 && report.unhandled === 0 ? 0 : 1
  } finally {
    clearTimeout(killer)
    await Promise.all(
      children.map((child) =>
        child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined,
      ),
    )
    await issuer.close()
    await redis.stop()
  }
}

async function load({ durationMs, connections, urls, issuer, children, reply }) {
  const keys = Array.from({ length: 8 }, dpopKey)
  const mint = (count, claims, options) =>
    Promise.all(
      Array.from({ length: count }, () => issuer.mint({ scope: 'orders:read', ...claims }, options)),
    )
  const tokens = {
    reused: await mint(20),
    fresh: await mint(600),
    expired: await mint(20, {}, { expiresIn: -120 }),
    forged: await mint(20, {}, { key: 'foreign', kid: issuer.keys.current.kid }),
    bound: await Promise.all(keys.map((key) => issuer.mint({ scope: 'orders:read', cnf: { jkt: key.jkt } }))),
  }
  const pick = (list) => list[Math.floor(Math.random() * list.length)]
  let turn = 0
  let freshIndex = 0
  let phase = 'before'
  const stats = {}
  const violations = []
  const send = async (instance, authorization, proof) => {
    const headers = { authorization, 'x-forwarded-host': 'orders.example', 'x-forwarded-proto': 'https' }
    if (proof !== undefined) headers.dpop = proof
    try {
      const response = await fetch(urls[instance], { headers })
      await response.arrayBuffer()
      return response.status
    } catch {
      return 'network error'
    }
  }
  const record = (kind, status, ok) => {
    stats[kind] ??= {}
    stats[kind][phase] ??= { count: 0, statuses: {} }
    const entry = stats[kind][phase]
    entry.count++
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1
    if (!ok) violations.push(`${kind} got ${status} (${phase})`)
  }
  const next = () => turn++ % urls.length
  const kinds = [
    [
      35,
      'valid Bearer, 20 tokens',
      async () =>
        record('valid Bearer, 20 tokens', ...expect200(await send(next(), `Bearer ${pick(tokens.reused)}`))),
    ],
    [
      15,
      'valid Bearer, 600 tokens',
      async () => {
        const token = tokens.fresh[freshIndex++ % tokens.fresh.length]
        record('valid Bearer, 600 tokens', ...expect200(await send(next(), `Bearer ${token}`)))
      },
    ],
    [
      20,
      'DPoP, then replayed on the next instance',
      async () => {
        const k = Math.floor(Math.random() * keys.length)
        const token = tokens.bound[k]
        const proof = keys[k].proof(token)
        const first = next()
        record('valid DPoP', ...expect200(await send(first, `DPoP ${token}`, proof)))
        const status = await send((first + 1) % urls.length, `DPoP ${token}`, proof)
        record('DPoP proof replayed on another instance', status, status === 401)
      },
    ],
    [
      10,
      'one fresh proof raced to every instance',
      async () => {
        const k = Math.floor(Math.random() * keys.length)
        const proof = keys[k].proof(tokens.bound[k])
        const statuses = await Promise.all(urls.map((_, i) => send(i, `DPoP ${tokens.bound[k]}`, proof)))
        const passed = statuses.filter((status) => status === 200).length
        const refused = statuses.filter((status) => status === 401).length
        record(
          'one proof raced to 3 instances',
          `${passed} passed, ${refused} refused`,
          passed === 1 && refused === 2,
        )
      },
    ],
    [
      10,
      'forged',
      async () => {
        const status = await send(next(), `Bearer ${pick(tokens.forged)}`)
        record('forged signature, real kid', status, status === 401)
      },
    ],
    [
      10,
      'expired',
      async () => {
        const status = await send(next(), `Bearer ${pick(tokens.expired)}`)
        record('expired', status, status === 401)
      },
    ],
  ]
  const totalWeight = kinds.reduce((sum, [weight]) => sum + weight, 0)
  const choose = () => {
    let roll = Math.random() * totalWeight
    for (const kind of kinds) {
      roll -= kind[0]
      if (roll < 0) return kind[2]
    }
    return kinds[0][2]
  }

  const heapSamples = children.map(() => [])
  const sampleHeaps = async () => {
    const heaps = await Promise.all(
      children.map((child) => {
        const done = reply(child, 'heap')
        child.send({ type: 'heap' })
        return done
      }),
    )
    for (const [k, message] of heaps.entries()) heapSamples[k].push(message.heap)
  }
  const started = performance.now()
  const timers = [
    setTimeout(() => {
      issuer.setFault('jwks', 'hang')
      phase = 'outage'
    }, durationMs * 0.4),
    setTimeout(() => issuer.setFault('jwks', 'down'), durationMs * 0.55),
    setTimeout(() => {
      issuer.setFault('jwks', null)
      phase = 'after'
    }, durationMs * 0.7),
  ]
  const sampling = (async () => {
    for (let s = 1; s <= HEAP_SAMPLES; s++) {
      const at = (durationMs * s) / HEAP_SAMPLES
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - (performance.now() - started))))
      await sampleHeaps()
    }
  })()
  console.error(
    `soak:fleet: ${durationMs / 1000} s, ${INSTANCES} instances, ${connections} connections, outage 40–70 %`,
  )
  const worker = async () => {
    while (performance.now() - started < durationMs) await choose()()
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsedMs = performance.now() - started
  for (const timer of timers) clearTimeout(timer)
  await sampling
  const half = Math.floor(HEAP_SAMPLES / 2) - 1
  const growth = heapSamples.map((samples) => ((samples.at(-1) ?? 0) - (samples[half] ?? 0)) / 2 ** 20)
  growth.forEach((mib, k) => {
    if (mib > FLAT_MIB)
      violations.push(`instance ${k + 1}: heap grew ${mib.toFixed(1)} MiB over the second half`)
  })
  return {
    elapsedMs,
    stats,
    violations,
    heapSamples,
    growth,
    jwksRequests: issuer.requests.jwks,
    unhandled: 0,
  }
}

/** Replaces this soak's section of `file` (from its heading to the end), or appends it: soak.mjs writes the rest. */
function writeSection(file, text) {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const at = previous.indexOf(SECTION)
  const kept = at === -1 ? previous : previous.slice(0, at)
  writeFileSync(file, `${kept}${kept === '' || kept.endsWith('\n\n') ? '' : '\n'}${text}`)
}

function expect200(status) {
  return [status, status === 200]
}

function render(report, values) {
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(1)
  const total = Object.values(report.stats)
    .flatMap((phases) => Object.values(phases))
    .reduce((sum, entry) => sum + entry.count, 0)
  const lines = [
    SECTION,
    '',
    `Command: \`pnpm soak:fleet --duration ${values.duration} --connections ${values.connections}\` (after \`pnpm build\`),`,
    `Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z. Three Express 5 + @m2m-guard/express instances (child`,
    'processes) sharing one redis-server (@m2m-guard/redis createRedisReplayStore) as their DPoP replay store, one',
    'public URL for all three (X-Forwarded-Host/-Proto, `trust proxy`), requests dealt round-robin;',
    `@m2m-guard/testing as the issuer; JWKS max-age ${JWKS_MAX_AGE_S} s, outage from 40 % to 70 % (JWKS hangs, then 503).`,
    '',
    `- Load average at the end (1, 5, 15 min): ${loadavg()
      .map((value) => value.toFixed(2))
      .join(', ')} (2 cores, shared)`,
    `- Checks made: ${total} in ${(report.elapsedMs / 1000).toFixed(1)} s; JWKS requests: ${report.jwksRequests}`,
    `- Heap after GC per instance (MiB, ${HEAP_SAMPLES} samples): ${report.heapSamples.map((s, k) => `#${k + 1}: ${s.map(mib).join(', ')}`).join('; ')}`,
    `- Growth over the second half: ${report.growth.map((g) => `${g.toFixed(1)} MiB`).join(', ')} (flat means < ${FLAT_MIB} MiB)`,
    `- Unhandled rejections or uncaught exceptions: ${report.unhandled}`,
    `- Violations: ${report.violations.length === 0 ? 'none' : ''}`,
    ...[...new Set(report.violations)].slice(0, 20).map((violation) => `  - ${violation}`),
    '',
    '| kind | phase | checks | outcomes |',
    '| --- | --- | ---: | --- |',
  ]
  for (const [kind, phases] of Object.entries(report.stats)) {
    for (const phase of ['before', 'outage', 'after']) {
      const entry = phases[phase]
      if (entry === undefined) continue
      const outcomes = Object.entries(entry.statuses)
        .map(([status, count]) => `${status}: ${count}`)
        .join(', ')
      lines.push(`| ${kind} | ${phase} | ${entry.count} | ${outcomes} |`)
    }
  }
  return `${lines.join('\n')}\n`
}
