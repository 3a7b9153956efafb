/**
 * A real redis-server for the replay-store rows: started on a free port of
 * 127.0.0.1 with persistence off, awaited until it answers PING, stopped at
 * the end of the suite (killed if it will not stop, and on exit). The same
 * recipe as test/support/redis-server.ts, which the bench cannot import (it
 * is TypeScript that vitest runs from source). Without redis-server on the
 * PATH the bench reports why instead of a number.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  stop(): Promise<void>
}

/** Why there is no redis-server to measure against (ENOENT: not installed). */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000

/** Starts a redis-server; rejects with a {@link RedisUnavailableError} if none is installed. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const keep = (chunk: Buffer) => {
    if (output.length < 10_000) output += chunk.toString()
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
            ? new RedisUnavailableError('redis-server is not installed: apt-get install -y redis-server')
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
  return { url: `redis://127.0.0.1:${port}`, stop: () => stop(child, exited) }
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
