/**
 * The in-process suite: every contender, for RS256, ES256 and EdDSA, on one
 * reused token and on a pool of distinct tokens, one caller at a time and
 * with 16 in flight. Repeats are interleaved (every contender runs once per
 * repeat, in a rotating order), so drift on the machine hits all of them.
 */
import { type Contender, floors, oursContenders, type Setup, type Workload } from './contenders.js'
import { openReplayRedis } from './dpop-rows.js'
import { type Alg, createKey, signToken, signTokens } from './fixtures.js'
import { startJwksServer } from './jwks-server.js'
import { collectGarbage, counter, type Op, type Summary, summarize, throughput } from './measure.js'
import { peerMiddleware } from './peer-middleware.js'
import { peers } from './peers.js'
import { requestPathContenders } from './request-path.js'

export interface InProcessOptions {
  algorithms: readonly Alg[]
  inFlight: readonly number[]
  durationMs: number
  /** Time spent finding how many calls to make between clock reads. */
  calibrationMs: number
  repeats: number
  /** Distinct tokens per algorithm. */
  poolSize: number
  log: (line: string) => void
}

export interface Cell {
  alg: Alg
  workload: Workload['name']
  inFlight: number
  contender: Pick<Contender, 'id' | 'label' | 'kind'>
  /** Operations per second, one sample per repeat; absent if the contender does not apply. */
  result?: Summary
  notApplicable?: string
}

export const CONTENDERS: Contender[] = [
  ...floors,
  ...oursContenders,
  ...requestPathContenders,
  ...peers,
  ...peerMiddleware,
]

/** Tokens the warm-up verifies (and checks) before timing: fills every key cache. */
const WARM_UP_OPS = 16

interface Prepared {
  contender: Contender
  op?: Op
  next: () => number
  notApplicable?: string
}

async function prepare(contender: Contender, setup: Setup): Promise<Prepared> {
  const next = counter()
  const reason = contender.notApplicable?.(setup)
  if (reason !== undefined) return { contender, next, notApplicable: reason }
  try {
    const op = await contender.prepare(setup)
    for (let k = 0; k < WARM_UP_OPS; k++) {
      const result = await op(next())
      contender.validate?.(result)
    }
    return { contender, op, next }
  } catch (error) {
    // A contender that cannot verify these tokens is reported, not timed: a fast failure is no result.
    return { contender, next, notApplicable: `failed: ${(error as Error).message}` }
  }
}

export async function runInProcess(options: InProcessOptions): Promise<Cell[]> {
  const keys = options.algorithms.map(createKey)
  const server = await startJwksServer({ keys: keys.map((key) => key.jwk) })
  // For the Redis replay-store row; stopped with the JWKS server, whatever happens.
  const redis = await openReplayRedis().catch(async (error) => {
    await server.close()
    throw error
  })
  const cells: Cell[] = []
  try {
    for (const key of keys) {
      const { issuer, jwksUri } = server
      options.log(`in-process ${key.alg}: signing ${options.poolSize} tokens`)
      const same = [signToken(key, issuer)]
      const distinct = await signTokens(key, issuer, options.poolSize)
      const workloads: Workload[] = [
        { name: 'same-token', tokens: same, headers: same.map((token) => `Bearer ${token}`) },
        { name: 'distinct-tokens', tokens: distinct, headers: distinct.map((token) => `Bearer ${token}`) },
      ]
      for (const workload of workloads) {
        const setup: Setup = { alg: key.alg, key, issuer, jwksUri, workload, redis }
        const prepared: Prepared[] = []
        for (const contender of CONTENDERS) prepared.push(await prepare(contender, setup))
        for (const inFlight of options.inFlight) {
          options.log(`in-process ${key.alg} ${workload.name}, ${inFlight} in flight`)
          const samples = new Map<Prepared, number[]>(prepared.map((entry) => [entry, []]))
          const timed = prepared.filter((entry) => entry.op !== undefined)
          for (let repeat = 0; repeat < options.repeats; repeat++) {
            for (let k = 0; k < timed.length; k++) {
              const entry = timed[(k + repeat) % timed.length] as Prepared
              collectGarbage()
              const opsPerSecond = await throughput(
                entry.op as Op,
                options.durationMs,
                inFlight,
                entry.next,
                options.calibrationMs,
              )
              samples.get(entry)?.push(opsPerSecond)
            }
          }
          for (const entry of prepared) {
            const { id, label, kind } = entry.contender
            const cell: Cell = {
              alg: key.alg,
              workload: workload.name,
              inFlight,
              contender: { id, label, kind },
            }
            if (entry.op === undefined) cell.notApplicable = entry.notApplicable ?? 'n/a'
            else cell.result = summarize(samples.get(entry) ?? [])
            cells.push(cell)
          }
        }
      }
    }
  } finally {
    await redis.close()
    await server.close()
  }
  return cells
}
