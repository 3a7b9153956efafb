/**
 * A real redis-server for the tests, the bench's replay-store rows and the
 * fleet soak: started on a free port of 127.0.0.1 with persistence off,
 * awaited until it answers PING, and stopped (killed if it will not stop, and
 * on exit). Without redis-server on the PATH it rejects with a
 * {@link RedisUnavailableError}: the bench then reports why instead of a
 * number, and a test fails (never skips). `.ci/run` installs redis-server.
 * Here, in bench/src, because the bench compiles only its own sources;
 * test/support/redis-server.ts re-exports it.
 *
 * ```ts
 * const redis = await startRedisServer()
 * afterAll(() => redis.stop())
 * const client = await createClient({ url: redis.url }).connect()
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Whether the process is still running. */
  readonly running: boolean
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and resolves when the process has exited. */
  stop(): Promise<void>
}

/** Why there is no redis-server to start (ENOENT: not installed). */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const START_ATTEMPTS = 3

/** Starts a redis-server; retries on another port if the free port was taken in between. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    try {
      return await startOn(await freePort())
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error
      lastError = error
    }
  }
  throw lastError
}

async function startOn(port: number): Promise<RedisServer> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const keep = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString()
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  // 'close', not 'exit': a spawn that fails (ENOENT) emits 'error' and 'close' but never 'exit'.
  // (Not events.once, which would reject on that 'error'.)
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve())).then(() => {
    process.off('exit', killOnExit)
  })
  try {
    await Promise.race([
      answersPing(port, START_TIMEOUT_MS),
      once(child, 'error').then(([error]) =>
        Promise.reject(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? new RedisUnavailableError(
                'redis-server is not installed: apt-get install -y redis-server (.ci/run does)',
              )
            : error,
        ),
      ),
      exited.then(() => Promise.reject(new Error(`redis-server exited on port ${port}:\n${output}`))),
    ])
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child.exitCode === null && child.signalCode === null
    },
    stop: () => stop(child, exited),
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

/** Resolves once the server answers PING with PONG; tries every 25 ms, within `timeoutMs`. */
async function answersPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`)
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port })
    let reply = ''
    const done = (answer: boolean) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}
