import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { basic, postToken } from './token-request.js'

const CLI = fileURLToPath(new URL('../bin/m2m-guard-issuer.js', import.meta.url))
const children = new Set<ChildProcess>()

afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

// Waits until the output matches, the process exits, or 10 s pass.
async function waitFor(running: Running, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const match = running.output().match(pattern)
    if (match) return match
    const exited = await Promise.race([
      running.exited.then(() => true),
      new Promise((r) => setTimeout(r, 20, false)),
    ])
    if (exited) break
  }
  throw new Error(`output did not match ${pattern}:\n${running.output()}`)
}

describe('m2m-guard-issuer CLI', () => {
  it('starts on port 0, prints the issuer, serves tokens, and stops on SIGTERM', async () => {
    const running = run([
      '--port',
      '0',
      '--client',
      'billing:s3cret:orders:read,orders:write',
      '--lifetime',
      '120',
    ])
    const [, issuer] = await waitFor(running, /issuer\s+(http:\/\/127\.0\.0\.1:\d+)\n/)
    await waitFor(running, /Stop with Ctrl\+C/)
    const output = running.output()
    expect(output).toContain('tests and local development only')
    expect(output).toContain(`token_endpoint  ${issuer}/token`)
    expect(output).toContain(
      `curl -s -u billing:s3cret -d grant_type=client_credentials -d 'scope=orders:read orders:write' ${issuer}/token`,
    )

    const metadata = (await (
      await fetch(`${issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>
    expect(metadata.issuer).toBe(issuer)
    const answer = await postToken(
      `${issuer}/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: basic('billing', 's3cret'),
      },
    )
    expect(answer.body).toMatchObject({ expires_in: 120, scope: 'orders:read orders:write' })

    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
  })

  it('registers a demo client when none is given, and stops on SIGINT', async () => {
    const running = run(['--issuer-path', '/demo', '--alg', 'ES256'])
    const [, id, secret] = await waitFor(running, /\n {4}(demo-client) {2}secret: (\S+)/)
    const [, tokenEndpoint] = await waitFor(running, /token_endpoint\s+(\S+)\n/)
    expect(tokenEndpoint).toMatch(/\/demo\/token$/)
    const answer = await postToken(
      tokenEndpoint as string,
      { grant_type: 'client_credentials' },
      {
        authorization: basic(id as string, secret as string),
      },
    )
    expect(answer.status).toBe(200)
    running.child.kill('SIGINT')
    expect(await running.exited).toBe(0)
  })

  it('imitates a provider with --flavor and --tenant, and prints the token request it needs', async () => {
    const tenant = '0b1f5c7e-3d2a-4c8b-9e6f-1a2b3c4d5e6f'
    const running = run(['--flavor', 'entra', '--tenant', tenant, '--client', 'daemon:s3cret:Orders.Read'])
    await waitFor(running, new RegExp(`flavor {10}entra \\(tenant ${tenant}\\)`))
    const [, issuer] = await waitFor(running, /issuer\s+(\S+)\n/)
    expect(issuer).toMatch(new RegExp(`/${tenant}/v2\\.0$`))
    // The printed curl asks for {resource}/.default, as Entra wants; replay it.
    const [, scope, tokenEndpoint] = await waitFor(running, /-d scope=(\S+) (\S+)\n/)
    expect(scope).toMatch(/^api:\/\/[0-9a-f-]{36}\/\.default$/)
    const answer = await postToken(
      tokenEndpoint as string,
      { grant_type: 'client_credentials', scope: scope as string },
      { authorization: basic('daemon', 's3cret') },
    )
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
  })

  it('refuses an unknown flavor with exit code 2, naming the option', async () => {
    const running = run(['--flavor', 'azure'])
    expect(await running.exited).toBe(2)
    expect(running.output()).toMatch(/"flavor" option must be one of auth0, okta, entra/)
  })

  it('reads clients from a file and prints JSON with --json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'm2m-guard-cli-'))
    try {
      const file = join(dir, 'clients.json')
      const clients = [
        { clientId: 'from-file', clientSecret: 'f', scopes: ['a'], audience: 'https://a.example' },
      ]
      await writeFile(file, JSON.stringify({ clients }))
      const running = run(['--clients-file', file, '--json'])
      const [line] = await waitFor(running, /^\{.*\}\n/)
      const printed = JSON.parse(line as string) as { tokenEndpoint: string; clients: unknown[] }
      expect(printed.clients).toEqual(clients)
      const answer = await postToken(
        printed.tokenEndpoint,
        { grant_type: 'client_credentials' },
        {
          authorization: basic('from-file', 'f'),
        },
      )
      expect(answer.body.scope).toBe('a')
      running.child.kill('SIGTERM')
      expect(await running.exited).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it.each([
    [['--port', 'abc'], /--port must be/],
    [['--client', 'no-colons'], /--client must be/],
    [['--alg', 'HS256'], /"algorithm"/],
    [['--unknown'], /Unknown option/],
    [['--clients-file', '/nonexistent/clients.json'], /--clients-file/],
  ])('exits 2 on bad flags: %j', async (args, message) => {
    const running = run(args)
    const code = await running.exited
    expect(running.output()).toMatch(message)
    expect(code).toBe(2)
  })

  it('prints help', async () => {
    const running = run(['--help'])
    expect(await running.exited).toBe(0)
    expect(running.output()).toContain('Usage: m2m-guard-issuer')
  })
})
