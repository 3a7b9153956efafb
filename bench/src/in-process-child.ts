/**
 * One contender of the in-process suite, in a process of its own (started by
 * contender-host.ts, one per contender and algorithm). V8's inline caches and
 * optimised code then see this contender's code alone, as in a service that
 * uses one verifier. With every contender in one process they saw all of
 * them: shared code (m2m-guard's, with and without observers or `usage`, and
 * the timing loop's call of each operation) went polymorphic, and the plain
 * cache hit measured well below its figure alone.
 *
 * The parent asks, one request at a time: `prepare` a workload (its tokens
 * were signed once, in the parent), then `measure` it for a duration and
 * answer with operations per second. Only one contender's process runs at
 * a time; the others wait on their IPC channel.
 */
import type { Setup, Workload } from './contenders.js'
import type { ReplayRedis } from './dpop-rows.js'
import { type Alg, type BenchKeyMaterial, importKey } from './fixtures.js'
import { findContender } from './in-process-contenders.js'
import { collectGarbage, counter, type Op, throughput } from './measure.js'

/** A {@link Setup} as plain data: the key as PEM, the tokens without their `Bearer ` headers. */
export interface SetupMessage {
  alg: Alg
  key: BenchKeyMaterial
  issuer: string
  jwksUri: string
  workload: { name: Workload['name']; tokens: string[] }
  redis?: ReplayRedis | undefined
}

export type HostRequest =
  | { type: 'prepare'; module: number; id: string; setup: SetupMessage }
  | { type: 'measure'; inFlight: number; durationMs: number; calibrationMs: number }

export type HostReply =
  | { type: 'ready' }
  /** `failed`: why the contender cannot verify these tokens (reported, never timed). */
  | { type: 'prepared'; failed?: string }
  | { type: 'measured'; opsPerSecond: number }
  | { type: 'error'; message: string }

/** Tokens the warm-up verifies (and checks) before timing: fills every key cache. */
const WARM_UP_OPS = 16

let prepared: { op: Op; next: () => number } | undefined

async function prepare(request: Extract<HostRequest, { type: 'prepare' }>): Promise<HostReply> {
  prepared = undefined
  const contender = await findContender(request.module, request.id)
  const { key, workload, ...rest } = request.setup
  const setup: Setup = {
    ...rest,
    key: importKey(key),
    workload: { ...workload, headers: workload.tokens.map((token) => `Bearer ${token}`) },
  }
  try {
    const op = await contender.prepare(setup)
    // A shared, ever-increasing index: repeats keep cycling through the pool instead of restarting it.
    const next = counter()
    for (let k = 0; k < WARM_UP_OPS; k++) contender.validate?.(await op(next()))
    prepared = { op, next }
    return { type: 'prepared' }
  } catch (error) {
    // A contender that cannot verify these tokens is reported, not timed: a fast failure is no result.
    return { type: 'prepared', failed: `failed: ${(error as Error).message}` }
  }
}

async function measure(request: Extract<HostRequest, { type: 'measure' }>): Promise<HostReply> {
  if (prepared === undefined) throw new Error('measure before a successful prepare')
  collectGarbage()
  const { op, next } = prepared
  const opsPerSecond = await throughput(op, request.durationMs, request.inFlight, next, request.calibrationMs)
  return { type: 'measured', opsPerSecond }
}

const reply = (message: HostReply) => process.send?.(message)

process.on('message', (request: HostRequest) => {
  const handled = request.type === 'prepare' ? prepare(request) : measure(request)
  handled.then(reply, (error: Error) => reply({ type: 'error', message: error.stack ?? error.message }))
})
// The parent gone (or done with this contender): nothing left to do here.
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })
