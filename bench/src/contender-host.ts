/**
 * The parent's handle on one contender's process (in-process-child.ts):
 * starts it, sends it one request at a time and waits for its reply (with a
 * deadline), and stops it. A process that dies, or answers late, fails the
 * request; `close` stops it whatever state it is in.
 */
import { type ChildProcess, fork } from 'node:child_process'
import type { HostReply, HostRequest, SetupMessage } from './in-process-child.js'

const START_TIMEOUT_MS = 30_000
const PREPARE_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 5_000

interface Pending {
  expect: HostReply['type']
  resolve(reply: HostReply): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export class ContenderHost {
  readonly #child: ChildProcess
  readonly #exited: Promise<void>
  #pending: Pending | undefined
  #exitReason: string | undefined

  private constructor(readonly name: string) {
    this.#child = fork(new URL('./in-process-child.js', import.meta.url), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#child.on('message', (reply: HostReply) => this.#settle(reply))
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exitReason = `exited (${signal ?? code})`
        this.#fail(new Error(`${name}: process ${this.#exitReason}`))
        resolve()
      })
    })
    this.#child.on('error', (error) => this.#fail(new Error(`${name}: ${error.message}`)))
  }

  /** Starts a process for contender `name` and waits until it listens. */
  static async start(name: string): Promise<ContenderHost> {
    const host = new ContenderHost(name)
    try {
      await host.#request(undefined, 'ready', START_TIMEOUT_MS)
    } catch (error) {
      await host.close()
      throw error
    }
    return host
  }

  /** Prepares and warms the contender on `setup`; resolves with why it failed, or undefined. */
  async prepare(module: number, id: string, setup: SetupMessage): Promise<string | undefined> {
    const reply = await this.#request({ type: 'prepare', module, id, setup }, 'prepared', PREPARE_TIMEOUT_MS)
    return reply.type === 'prepared' ? reply.failed : undefined
  }

  /** One timed measurement of the prepared workload: operations per second. */
  async measure(inFlight: number, durationMs: number, calibrationMs: number): Promise<number> {
    // Generous: a measurement takes calibrationMs + durationMs, plus the slowest single operation.
    const timeout = 30_000 + 10 * (durationMs + calibrationMs)
    const reply = await this.#request(
      { type: 'measure', inFlight, durationMs, calibrationMs },
      'measured',
      timeout,
    )
    return reply.type === 'measured' ? reply.opsPerSecond : Number.NaN
  }

  /** Stops the process (SIGTERM, SIGKILL after 5 s); resolves once it has exited. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#exitReason === undefined) {
      this.#child.kill()
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      await this.#exited
      clearTimeout(timer)
    }
  }

  #request(
    message: HostRequest | undefined,
    expect: HostReply['type'],
    timeoutMs: number,
  ): Promise<HostReply> {
    if (this.#pending !== undefined) throw new Error(`${this.name}: one request at a time`)
    if (this.#exitReason !== undefined)
      return Promise.reject(new Error(`${this.name}: process ${this.#exitReason}`))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new Error(`${this.name}: no '${expect}' reply within ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.#pending = { expect, resolve, reject, timer }
      if (message !== undefined) this.#child.send(message)
    })
  }

  #settle(reply: HostReply): void {
    const pending = this.#pending
    if (pending === undefined) return
    if (reply.type === 'error') this.#fail(new Error(`${this.name}: ${reply.message}`))
    else if (reply.type !== pending.expect)
      this.#fail(new Error(`${this.name}: '${reply.type}' instead of '${pending.expect}'`))
    else this.#resolve(pending, reply)
  }

  #resolve(pending: Pending, reply: HostReply): void {
    clearTimeout(pending.timer)
    this.#pending = undefined
    pending.resolve(reply)
  }

  #fail(error: Error): void {
    const pending = this.#pending
    if (pending === undefined) return
    clearTimeout(pending.timer)
    this.#pending = undefined
    pending.reject(error)
  }
}
