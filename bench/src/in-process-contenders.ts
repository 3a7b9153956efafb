/**
 * Every contender of the in-process suite, by the module that defines it, in
 * the report's order. The suite's parent lists them all (their names, and
 * whether each applies to a workload); the process that times a contender
 * loads its module only, so it holds no other library's code.
 */
import type { Contender } from './contenders.js'

const MODULES: readonly (() => Promise<Contender[]>)[] = [
  async () => {
    const { floors, oursContenders } = await import('./contenders.js')
    return [...floors, ...oursContenders]
  },
  async () => (await import('./request-path.js')).requestPathContenders,
  async () => (await import('./peers.js')).peers,
  async () => (await import('./peer-middleware.js')).peerMiddleware,
]

/** A contender and the index of its module in this list: what a contender's process needs to find it. */
export interface ListedContender {
  contender: Contender
  module: number
}

/** Every contender, in the report's order: floors, m2m-guard, its request-path rows, the peers. */
export async function listContenders(): Promise<ListedContender[]> {
  const modules = await Promise.all(MODULES.map((load) => load()))
  return modules.flatMap((contenders, module) => contenders.map((contender) => ({ contender, module })))
}

/** The contender `id` of module `module`, loading that module alone. */
export async function findContender(module: number, id: string): Promise<Contender> {
  const load = MODULES[module]
  const contender = load && (await load()).find((candidate) => candidate.id === id)
  if (contender === undefined) throw new Error(`no contender "${id}" in module ${module}`)
  return contender
}
