/**
 * Starts the fixture app (./fixture) in Bun, Deno or workerd, each from the
 * npm package of the same name (the workspace's devDependencies), listening
 * on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { BINARIES, type RuntimeName } from './binaries.mjs'

export type { RuntimeName }

/** What the fixture app needs: the issuer, and key set URLs that work and that do not. */
export interface AppConfig {
  issuer: string
  audience: string
  jwksUri: string
  coldJwksUri: string
  /** An issuer whose JWKS the test holds: `${jwksBase}/{fetch,hono,unhanded,witness}/jwks`, for `/held/*`. */
  held?: { issuer: string; jwksBase: string }
}

export interface RunningApp {
  readonly url: string
  /** Everything the runtime wrote, for failure messages. */
  output(): string
  close(): Promise<void>
}

const fixture = fileURLToPath(new URL('./fixture/', import.meta.url))
const repository = fileURLToPath(new URL('../../', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000

/** How to run workerd: with Node.js compatibility (the default for new Workers), or without. */
export interface WorkerdOptions {
  nodejsCompat: boolean
}

/** Starts `name` serving the fixture app; resolves once it listens. */
export async function startApp(
  name: RuntimeName,
  config: AppConfig,
  workerd: WorkerdOptions = { nodejsCompat: true },
): Promise<RunningApp> {
  const scratch = mkdtempSync(join(tmpdir(), `m2m-guard-${name}-`))
  try {
    const { args, portFrom, controlFd } = await launch(name, config, scratch, workerd)
    const child = spawn(BINARIES[name](), args, {
      cwd: fixture,
      env: { PATH: process.env.PATH ?? '', HOME: scratch, DENO_DIR: join(scratch, 'deno'), NO_COLOR: '1' },
      stdio: controlFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    const lines = controlFd
      ? (child.stdio[3] as NodeJS.ReadableStream)
      : (child.stdout as NodeJS.ReadableStream)
    const port = await waitForPort(child, lines, portFrom, () => output)
    return {
      url: `http://127.0.0.1:${port}`,
      output: () => output,
      close: async () => {
        await stop(child)
        rmSync(scratch, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true })
    throw error
  }
}

interface Launch {
  args: string[]
  /** The port, from one line the runtime writes, or undefined for other lines. */
  portFrom(line: string): number | undefined
  /** Whether the line comes on fd 3 (workerd's control channel) rather than stdout. */
  controlFd: boolean
}

const portLine = (line: string) => {
  try {
    const { port } = JSON.parse(line) as { port?: unknown }
    return typeof port === 'number' ? port : undefined
  } catch {
    return undefined
  }
}

async function launch(
  name: RuntimeName,
  config: AppConfig,
  scratch: string,
  workerd: WorkerdOptions,
): Promise<Launch> {
  const json = JSON.stringify(config)
  if (name === 'bun') return { args: ['bun.mjs', json], portFrom: portLine, controlFd: false }
  if (name === 'deno') {
    // The sandbox opened just enough: loopback for the issuer and the listener, reading the workspace's node_modules.
    const permissions = ['--allow-net=127.0.0.1', `--allow-read=${repository}`, '--no-prompt']
    return {
      args: ['run', ...permissions, '--no-lock', 'deno.mjs', json],
      portFrom: portLine,
      controlFd: false,
    }
  }
  const bundle = join(scratch, 'worker.mjs')
  const { nodeImports } = await bundleWorker(bundle)
  if (!workerd.nodejsCompat && nodeImports.length > 0) {
    throw new Error(`the Worker imports Node.js built-ins: ${JSON.stringify(nodeImports)}`)
  }
  const configFile = join(scratch, 'config.capnp')
  writeFileSync(configFile, workerdConfig(json, workerd))
  return {
    args: ['serve', configFile, '--control-fd=3'],
    // workerd reports each socket it listens on: {"event":"listen","socket":"http","port":N}
    portFrom: (line) => (line.includes('"listen"') ? portLine(line) : undefined),
    controlFd: true,
  }
}

/** A Node.js built-in the Worker bundle imports, and the module that imports it. */
export interface NodeImport {
  builtin: string
  importer: string
}

/**
 * One ES module for workerd, bundled as Wrangler bundles Workers: the
 * "workerd", "worker" and "browser" export conditions, Node.js built-ins left
 * to the runtime (only `nodejs_compat` provides them). Reports which modules
 * import built-ins.
 */
export async function bundleWorker(outfile: string): Promise<{ nodeImports: NodeImport[] }> {
  const { metafile } = await build({
    entryPoints: [join(fixture, 'worker.mjs')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    metafile: true,
    logLevel: 'silent',
  })
  const nodeImports = Object.entries(metafile.inputs).flatMap(([importer, input]) =>
    input.imports
      .filter((entry) => entry.path.startsWith('node:'))
      .map((entry) => ({ builtin: entry.path, importer: importer.replace(/^.*node_modules\//, '') })),
  )
  return { nodeImports }
}

/**
 * The Worker on 127.0.0.1:0, its outbound fetches allowed to loopback only
 * (workerd allows public addresses by default). `nodejs_compat` is on by
 * default from the compatibility date 2026-08-04; an earlier date turns it off.
 */
function workerdConfig(configJson: string, { nodejsCompat }: WorkerdOptions): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "worker.mjs")],
  compatibilityDate = "${nodejsCompat ? '2026-11-01' : '2026-07-01'}",
  bindings = [(name = "CONFIG", text = ${JSON.stringify(configJson)})],
  globalOutbound = "loopback",
);
`
}

function waitForPort(
  child: ChildProcess,
  lines: NodeJS.ReadableStream,
  portFrom: (line: string) => number | undefined,
  output: () => string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const fail = (why: string) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${why}\n${output()}`))
    }
    const timer = setTimeout(() => fail(`no port within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    child.once('exit', (code, signal) => fail(`exited before listening (${code ?? signal})`))
    child.once('error', (error) => fail(`could not start: ${error.message}`))
    lines.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const complete = buffered.split('\n')
      buffered = complete.pop() ?? ''
      for (const line of complete) {
        const port = portFrom(line)
        if (port === undefined) continue
        clearTimeout(timer)
        child.removeAllListeners('exit')
        resolve(port)
        return
      }
    })
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}
