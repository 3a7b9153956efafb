/**
 * The demo's core: start everything, make the planned calls against every
 * framework, print the table, close everything.
 */
import { formatLeastPrivilege } from './least-privilege.js'
import { type Answer, PLAN, type PlannedCall, ROUTES } from './plan.js'
import { ROTATING_CLIENT, ROTATING_SCOPES } from './rotation.js'
import { type DemoRow, formatTable, summarize } from './table.js'
import { type Api, CLIENTS, PARTNER, startWorld, type World } from './world.js'

/** Where the demo writes: `process.stdout` or anything with `write(text)`. */
export interface Output {
  write(text: string): unknown
}

export interface DemoOptions {
  /** Default `process.stdout`. */
  output?: Output | undefined
  /** Wrap the table to this many columns (a terminal's width). Default: no wrapping. */
  width?: number | undefined
  /** Called after the table; the servers stay up until it settles (`pnpm demo --serve`). */
  keepRunning?: ((world: World) => Promise<void>) | undefined
}

/**
 * Runs the demo and returns its rows. Every server it started is closed when
 * it settles, whether it resolves or rejects.
 *
 * @example
 * const rows = await runDemo({ output: process.stdout })
 * process.exitCode = rows.every((row) => row.status === row.expected) ? 0 : 1
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRow[]> {
  const output = options.output ?? process.stdout
  const world = await startWorld()
  try {
    output.write(`${introduction().join('\n')}\n\n`)
    const rows = await runCalls(world)
    output.write(`${formatTable(rows, { width: options.width }).join('\n')}\n\n  ${summarize(rows)}\n`)
    output.write(`\n${leastPrivilege(world).join('\n')}\n`)
    await options.keepRunning?.(world)
    return rows
  } finally {
    await world.close()
  }
}

/** Makes every planned call against every API of `world`, one at a time, in order. */
export async function runCalls(world: World): Promise<DemoRow[]> {
  const rows: DemoRow[] = []
  for (const api of world.apis) {
    for (const call of PLAN) rows.push(await perform(world, api, call))
  }
  return rows
}

async function perform(world: World, api: Api, call: PlannedCall): Promise<DemoRow> {
  const answer = await read(await call.send(world, api))
  const why =
    answer.status === call.expect && call.why !== undefined
      ? call.why(answer, world, api)
      : answer.error !== undefined
        ? `${answer.error}: ${answer.description}`
        : `HTTP ${answer.status}`
  return {
    framework: api.framework,
    client: call.who,
    method: call.method,
    path: call.path,
    status: answer.status,
    expected: call.expect,
    why,
  }
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = text
  }
  const { error, error_description } = (typeof body === 'object' && body !== null ? body : {}) as Record<
    string,
    unknown
  >
  return {
    status: response.status,
    error: typeof error === 'string' ? error : undefined,
    description: typeof error_description === 'string' ? error_description : undefined,
    retryAfter: response.headers.get('retry-after'),
    body,
  }
}

/** The least-privilege table of the first API (every API got the same calls). */
function leastPrivilege(world: World): string[] {
  const [first] = world.apis
  if (first === undefined) return []
  const names = new Map([
    [world.issuer.issuer, 'local'],
    [world.partner.issuer, 'partner'],
  ])
  return formatLeastPrivilege(first.verifier.usage(), (issuer) => names.get(issuer) ?? issuer)
}

/** What is running and what each route requires, before the table. */
function introduction(): string[] {
  const clientWidth = Math.max(...Object.keys(CLIENTS).map((id) => id.length))
  const routeWidth = Math.max(...ROUTES.map(([method, path]) => `${method} ${path}`.length))
  const methodWidth = Math.max(...ROUTES.map(([method]) => method.length))
  return [
    "m2m-guard demo: a local authorization server, a partner's Entra-shaped one, the same orders",
    'API on Express, Koa and Fastify trusting both, and six services calling it with',
    'client-credentials tokens; one of them, payouts, through a rotation of its secret.',
    '',
    '  clients and the scopes they may have',
    ...Object.entries(CLIENTS).map(([id, scopes]) => `    ${id.padEnd(clientWidth)}  ${scopes.join(' ')}`),
    `    ${'partner'.padEnd(clientWidth)}  ${PARTNER.roles.join(' ')} (an app role, at the partner's Entra tenant)`,
    `    ${ROTATING_CLIENT.padEnd(clientWidth)}  ${ROTATING_SCOPES.join(' ')} (its secret read from a function at each token request)`,
    '',
    '  routes and what they require',
    ...ROUTES.map(
      ([method, path, requirement]) =>
        `    ${`${method.padEnd(methodWidth)} ${path}`.padEnd(routeWidth)}  ${requirement}`,
    ),
  ]
}
