/**
 * The HTTP suite: each framework bare, behind m2m-guard, and behind the peer
 * middleware users would pick for it, each server in its own process on
 * 127.0.0.1, driven by autocannon from this process. Repeats are interleaved:
 * within one repeat every variant of a framework runs back to back, so each
 * ratio to bare is taken under the same conditions.
 */
import { type ChildProcess, fork } from 'node:child_process'
import autocannon from 'autocannon'
import { createKey, signToken, signTokens } from './fixtures.js'
import type { Probe, ProbeRequest, ServerSpec } from './http-server.js'
import {
  type Framework,
  type HttpWorkload,
  isOurs,
  OURS_10K_CACHED,
  OURS_NEW_TOKENS,
  runsWorkload,
  tokenCacheFor,
  VARIANTS,
} from './http-variants.js'
import { startJwksServer } from './jwks-server.js'

export type { HttpWorkload } from './http-variants.js'

export interface HttpOptions {
  frameworks: readonly Framework[]
  durationSeconds: number
  warmUpSeconds: number
  /** A fixed number of requests per measurement instead of a duration (smoke runs). */
  amount?: number | undefined
  repeats: number
  connections: number
  distinctTokens: number
  log: (line: string) => void
}

export interface HttpSample {
  requestsPerSecond: number
  /** Server CPU time (user + system) per 2xx response, µs. */
  cpuPerRequest: number
  /** ms, from every 2xx response's own timing (autocannon's histogram rounds to whole ms). */
  p99: number
  failures: number
  /** m2m-guard on distinct tokens: its token cache's hits and misses during this measurement. */
  cacheHits?: number
  cacheMisses?: number
}

export interface HttpCell {
  framework: Framework
  variant: string
  workload: HttpWorkload
  /** One per repeat, in repeat order. */
  samples: HttpSample[]
}

interface RunningServer {
  spec: ServerSpec
  child: ChildProcess
  url: string
  /**
   * The next distinct token this server gets. It carries on across measurements
   * (never restarting at the first token), so each server cycles through the
   * whole pool: which tokens its cache holds is then set by the cache's size alone.
   */
  cursor: number
}

async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const child = fork(new URL('./http-server.js', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number; error?: string }) =>
      message.port === undefined
        ? reject(new Error(`${spec.framework}/${spec.variant}: ${message.error}`))
        : resolve(message.port),
    )
    child.once('exit', (code) => reject(new Error(`${spec.framework}/${spec.variant} exited (${code})`)))
    child.send(spec)
  })
  return { spec, child, url: `http://127.0.0.1:${port}/orders`, cursor: 0 }
}

/** The server's CPU time so far (µs) and, after a measurement that counted them, its token-cache events. */
function probe(server: RunningServer, request: ProbeRequest): Promise<Probe> {
  return new Promise((resolve) => {
    const listener = (message: { probe?: Probe }) => {
      if (message.probe === undefined) return
      server.child.off('message', listener)
      resolve(message.probe)
    }
    server.child.on('message', listener)
    server.child.send(request)
  })
}

/** Loads `server` with autocannon; `headers` are cycled, one per request, across all connections. */
async function load(
  server: RunningServer,
  headers: string[],
  options: { connections: number; durationSeconds?: number; amount?: number },
): Promise<HttpSample> {
  const { url } = server
  const single = headers.length === 1
  // Our token cache on distinct tokens decides the figure: its hits and misses are counted.
  const countCache = !single && isOurs(server.spec.variant)
  const before = await probe(server, { probe: 'before', countCache })
  const latencies: number[] = []
  const instance = autocannon({
    url,
    connections: options.connections,
    // Check for the end every 100 ms instead of every second: short runs end on time.
    sampleInt: 100,
    ...(options.amount === undefined
      ? { duration: options.durationSeconds ?? 1 }
      : { amount: options.amount }),
    // One token: a fixed request (autocannon's fast path). Many: each request takes the next token.
    ...(single
      ? { headers: { authorization: headers[0] as string } }
      : {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: {
                  ...request.headers,
                  authorization: headers[server.cursor++ % headers.length] as string,
                },
              }),
            },
          ],
        }),
  })
  ;(instance as unknown as NodeJS.EventEmitter).on(
    'response',
    (_client, status: number, _bytes, time: number) => {
      if (status >= 200 && status < 300) latencies.push(time)
    },
  )
  const result = await instance
  const after = await probe(server, { probe: 'after' })
  const cpu = after.cpu - before.cpu
  latencies.sort((a, b) => a - b)
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000
  return {
    requestsPerSecond: result['2xx'] / seconds,
    cpuPerRequest: cpu / Math.max(1, result['2xx']),
    p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN,
    failures: result.non2xx + result.errors,
    ...(after.cacheHits === undefined ? {} : { cacheHits: after.cacheHits, cacheMisses: after.cacheMisses }),
  }
}

export async function runHttp(options: HttpOptions): Promise<HttpCell[]> {
  const key = createKey('RS256')
  const issuer = await startJwksServer({ keys: [key.jwk] })
  options.log(`http: signing ${options.distinctTokens} RS256 tokens`)
  const reused = [`Bearer ${signToken(key, issuer.issuer)}`]
  const distinct = (await signTokens(key, issuer.issuer, options.distinctTokens)).map(
    (token) => `Bearer ${token}`,
  )
  const workloads: [HttpWorkload, string[]][] = [
    ['reused-token', reused],
    ['distinct-tokens', distinct],
  ]
  const servers: RunningServer[] = []
  const cells: HttpCell[] = []
  try {
    const specs = options.frameworks.flatMap((framework) =>
      VARIANTS[framework].map((variant) => ({
        framework,
        variant,
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        alg: key.alg,
        tokenCache: tokenCacheFor(variant, options.distinctTokens),
      })),
    )
    // Started together (they only idle until their turn), and every one stopped in `finally`.
    const started = await Promise.allSettled(specs.map(startServer))
    for (const outcome of started) if (outcome.status === 'fulfilled') servers.push(outcome.value)
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason
    for (const server of servers) {
      const { framework, variant } = server.spec
      options.log(`http: warming ${framework}/${variant}`)
      // The new-token variant never sees the reused token: it warms on the path it is measured on.
      const warm = await load(server, variant === OURS_NEW_TOKENS ? distinct : reused, {
        connections: options.connections,
        ...(options.amount === undefined
          ? { durationSeconds: options.warmUpSeconds }
          : { amount: options.amount }),
      })
      if (warm.failures > 0)
        throw new Error(`${framework}/${variant} failed ${warm.failures} warm-up requests`)
      // The 10,000-cached server's cache then holds every distinct token, as it would with 10,000 clients.
      if (variant === OURS_10K_CACHED) {
        const fill = await load(server, distinct, {
          connections: options.connections,
          amount: distinct.length,
        })
        if (fill.failures > 0)
          throw new Error(`${framework}/${variant} failed ${fill.failures} cache-filling requests`)
      }
      for (const [workload] of workloads)
        if (runsWorkload(variant, workload)) cells.push({ framework, variant, workload, samples: [] })
    }
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const framework of options.frameworks) {
        for (const [workload, headers] of workloads) {
          const group = servers.filter(
            (server) => server.spec.framework === framework && runsWorkload(server.spec.variant, workload),
          )
          options.log(`http: repeat ${repeat + 1}/${options.repeats} ${framework} ${workload}`)
          for (let k = 0; k < group.length; k++) {
            const server = group[(k + repeat) % group.length] as RunningServer
            const sample = await load(server, headers, {
              connections: options.connections,
              ...(options.amount === undefined
                ? { durationSeconds: options.durationSeconds }
                : { amount: options.amount }),
            })
            const cell = cells.find(
              (entry) =>
                entry.framework === framework &&
                entry.variant === server.spec.variant &&
                entry.workload === workload,
            )
            cell?.samples.push(sample)
          }
        }
      }
    }
  } finally {
    for (const server of servers) server.child.kill()
    await issuer.close()
  }
  return cells
}
