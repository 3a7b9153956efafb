/**
 * The in-process suite: every contender, for RS256, ES256 and EdDSA, on one
 * reused token and on a pool of distinct tokens, one caller at a time and
 * with 16 in flight. Each contender runs in a process of its own, one per
 * contender and algorithm (in-process-child.ts), so that no contender's code
 * shapes the optimisation of another's; the JWKS server, the redis-server
 * and the signing of every token stay here, shared. Repeats are interleaved:
 * in each repeat this process asks every contender's process in turn, in a
 * rotating order, for one timed measurement, so only one runs at a time and
 * drift on the machine hits all of them.
 */
import { ContenderHost } from './contender-host.js'
import type { Contender, Setup, Workload } from './contenders.js'
import { startReplayRedis } from './dpop-rows.js'
import { type Alg, createKey, exportKey, signToken, signTokens } from './fixtures.js'
import type { SetupMessage } from './in-process-child.js'
import { type ListedContender, listContenders } from './in-process-contenders.js'
import { startJwksServer } from './jwks-server.js'
import { type Summary, summarize } from './measure.js'

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

/** Processes started (and prepared) at once: the machine's two cores. */
const STARTING_AT_ONCE = 2

/** Runs `task` on every item, at most `limit` at a time; rejects with the first failure once all have settled. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let index = 0
  const worker = async () => {
    while (index < items.length) await task(items[index++] as T)
  }
  const outcomes = await Promise.allSettled(Array.from({ length: limit }, worker))
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason
}

interface Entry {
  listed: ListedContender
  host?: ContenderHost
  /** Why it is not timed on the current workload: it does not apply, or failed to prepare. */
  notApplicable?: string
}

/** Times every applicable contender of one workload; their processes are prepared for it first. */
async function timeWorkload(
  entries: Entry[],
  setup: Setup,
  message: SetupMessage,
  options: InProcessOptions,
): Promise<Cell[]> {
  const { alg, workload } = setup
  for (const entry of entries) {
    const reason = entry.listed.contender.notApplicable?.(setup)
    if (reason === undefined) delete entry.notApplicable
    else entry.notApplicable = reason
  }
  await inBatches(
    entries.filter((entry) => entry.notApplicable === undefined),
    STARTING_AT_ONCE,
    async (entry) => {
      const failed = await entry.host?.prepare(entry.listed.module, entry.listed.contender.id, message)
      if (failed !== undefined) entry.notApplicable = failed
    },
  )
  const timed = entries.filter((entry) => entry.notApplicable === undefined && entry.host !== undefined)
  const cells: Cell[] = []
  for (const inFlight of options.inFlight) {
    options.log(`in-process ${alg} ${workload.name}, ${inFlight} in flight`)
    const samples = new Map<Entry, number[]>(timed.map((entry) => [entry, []]))
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (let k = 0; k < timed.length; k++) {
        const entry = timed[(k + repeat) % timed.length] as Entry
        const opsPerSecond = await (entry.host as ContenderHost).measure(
          inFlight,
          options.durationMs,
          options.calibrationMs,
        )
        samples.get(entry)?.push(opsPerSecond)
      }
    }
    for (const entry of entries) {
      const { id, label, kind } = entry.listed.contender
      const cell: Cell = { alg, workload: workload.name, inFlight, contender: { id, label, kind } }
      const measured = samples.get(entry)
      if (measured === undefined) cell.notApplicable = entry.notApplicable ?? 'n/a'
      else cell.result = summarize(measured)
      cells.push(cell)
    }
  }
  return cells
}

export async function runInProcess(options: InProcessOptions): Promise<Cell[]> {
  const contenders = await listContenders()
  const keys = options.algorithms.map(createKey)
  const server = await startJwksServer({ keys: keys.map((key) => key.jwk) })
  // For the Redis replay-store row; stopped with the JWKS server, whatever happens.
  const redis = await startReplayRedis().catch(async (error) => {
    await server.close()
    throw error
  })
  const hosts: ContenderHost[] = []
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
      const setups = workloads.map(
        (workload): Setup => ({ alg: key.alg, key, issuer, jwksUri, workload, redis: redis.redis }),
      )
      // One process per contender that applies to a workload of this algorithm, for both workloads in turn.
      const entries: Entry[] = contenders.map((listed) => ({ listed }))
      const needed = entries.filter((entry) =>
        setups.some((setup) => entry.listed.contender.notApplicable?.(setup) === undefined),
      )
      options.log(`in-process ${key.alg}: starting ${needed.length} processes, one per contender`)
      await inBatches(needed, STARTING_AT_ONCE, async (entry) => {
        const host = await ContenderHost.start(`${entry.listed.contender.id} (${key.alg})`)
        hosts.push(host)
        entry.host = host
      })
      const material = exportKey(key)
      for (const setup of setups) {
        const message: SetupMessage = {
          alg: key.alg,
          key: material,
          issuer,
          jwksUri,
          workload: { name: setup.workload.name, tokens: setup.workload.tokens },
          redis: redis.redis,
        }
        cells.push(...(await timeWorkload(entries, setup, message, options)))
      }
      await Promise.all(hosts.splice(0).map((host) => host.close()))
    }
  } finally {
    await Promise.all(hosts.map((host) => host.close()))
    await redis.stop()
    await server.close()
  }
  return cells
}
