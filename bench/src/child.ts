/**
 * Runs a bench script in a child process and returns what it reports over IPC:
 * memory and event-loop measurements need a heap and a loop of their own.
 */
import { fork } from 'node:child_process'

export function runChild<Request, Result>(
  script: string,
  request: Request,
  timeoutMs: number,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(script, import.meta.url), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${script} took longer than ${timeoutMs} ms`))
    }, timeoutMs)
    child.once('message', (message: { result?: Result; error?: string }) => {
      clearTimeout(timer)
      if (message.error !== undefined) reject(new Error(`${script}: ${message.error}`))
      else resolve(message.result as Result)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with code ${code} before reporting`))
    })
    child.send(request as object)
  })
}
