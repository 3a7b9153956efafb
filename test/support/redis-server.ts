/**
 * A real redis-server for tests: started on a free port of 127.0.0.1 with persistence off, awaited
 * until it answers PING, and stopped (killed if it will not stop). `.ci/run` installs redis-server
 * when the machine lacks it; a test that needs it fails (never skips) without it.
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

const START_TIMEOUT = 10_000
const STOP_TIMEOUT = 5_000
const START_ATTEMPTS = 3

/** Starts a redis-server; retries on another port if the free port was taken in between. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = await freePort()
    try {
      return await startOn(port)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('redis-server not found: install it (apt-get install -y redis-server); .ci/run does')
      }
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
  child.stdout?.on('data', (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString()
  })
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const exited = once(child, 'exit').then(() => {
    process.off('exit', killOnExit)
  })
  try {
    await Promise.race([
      answersPing(port, START_TIMEOUT),
      once(child, 'error').then(([error]) => Promise.reject(error)),
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
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT)
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
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Resolves once the server answers PING with PONG; tries again every 25 ms, within `timeout`. */
async function answersPing(port: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeout} ms`)
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
