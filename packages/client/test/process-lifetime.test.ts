import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// Whether the client keeps a process alive can only be seen from outside it: these run a small
// script in a child Node.js process, with an in-memory fetch (no sockets, so only timers count).
const packageDir = fileURLToPath(new URL('..', import.meta.url))

const prelude = `
import { createTokenClient } from '@m2m-guard/client'
let offset = 0
let calls = 0
let onFailure = () => {}
const answers = []
const fetch = async () => {
  calls++
  const next = answers.shift() ?? { status: 200, retryAfter: undefined }
  if (next.status !== 200) return new Response('', { status: next.status, headers: { 'retry-after': String(next.retryAfter) } })
  return Response.json({ access_token: 'token-' + calls, token_type: 'Bearer', expires_in: 2 })
}
const client = createTokenClient({
  tokenEndpoint: 'http://auth.invalid/token', clientId: 'c', clientSecret: 's',
  fetch, clock: () => Date.now() + offset, retry: { maxDelay: 60_000, maxElapsed: 120_000 },
  onEvent: (event) => { if (event.type === 'token_request_failed') onFailure() },
})
`

function run(script: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', prelude + script],
      { cwd: packageDir, timeout: 15_000 },
      (_, stdout) => resolve({ code: child.exitCode, stdout }),
    )
  })
}

describe('timers and the process lifetime', { timeout: 20_000 }, () => {
  it('a backoff that a caller awaits keeps the process alive until the token arrives', async () => {
    const result = await run(`
answers.push({ status: 503, retryAfter: 1 })
console.log(await client.getToken())
`)
    expect(result).toMatchObject({ code: 0, stdout: 'token-2\n' })
  })

  it('a background renewal waiting out a backoff does not keep the process alive', async () => {
    const result = await run(`
await client.getToken()
answers.push({ status: 503, retryAfter: 60 })
offset = 1_700 // inside the renewal window of a 2 s token
console.log(await client.getToken())
`)
    // Held open, the child would wait 60 s and be killed at 15 s (code null).
    expect(result).toMatchObject({ code: 0, stdout: 'token-1\n' })
  })

  it('a caller that joins a background renewal keeps the process alive until it ends', async () => {
    const result = await run(`
await client.getToken()
answers.push({ status: 503, retryAfter: 1 })
offset = 1_700
const failed = new Promise((resolve) => { onFailure = resolve })
await client.getToken() // starts the renewal in the background
await failed // it now waits 1 s, on a timer that does not hold the process
offset = 1_900 // the old token is too close to expiry: this caller waits for the renewal
console.log(await client.getToken())
`)
    expect(result).toMatchObject({ code: 0, stdout: 'token-3\n' })
  })
})
