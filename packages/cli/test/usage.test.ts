import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { type Io, run } from '@m2m-guard/cli'
import { afterEach, describe, expect, it } from 'vitest'
import { cli, killAll } from './run-cli.js'

afterEach(() => killAll())

const noStack = /\n\s+at /

describe('m2m-guard usage', () => {
  it('prints readable help per command, exit 0', async () => {
    const runs = await Promise.all([
      cli(['--help']),
      cli(['doctor', '--help']),
      cli(['explain', '-h']),
      cli(['decode', '--help']),
    ])
    expect(runs.map((each) => each.code)).toEqual([0, 0, 0, 0])
    expect(runs[0]?.stdout).toMatch(/^Usage: m2m-guard <command> \[options\]\n/)
    expect(runs[1]?.stdout).toMatch(/^Usage: m2m-guard doctor --issuer URL --audience AUD \[options\]\n/)
    expect(runs[2]?.stdout).toMatch(/^Usage: m2m-guard explain TOKEN\|- \[options\]\n/)
    expect(runs[3]?.stdout).toMatch(/^Usage: m2m-guard decode TOKEN\|- \[--json\]\n/)
    for (const each of runs) expect(each.stdout.split('\n').every((text) => text.length <= 100)).toBe(true)
  })

  it('answers usage mistakes with a message naming them and exit 2', async () => {
    const cases: [string[], string][] = [
      [[], 'Usage: m2m-guard <command>'],
      [['frobnicate'], 'm2m-guard: unknown command frobnicate\n(see m2m-guard --help)'],
      [
        ['doctor', '--audience', 'a'],
        'm2m-guard: --issuer is required (or --config FILE)\n(see m2m-guard doctor --help)',
      ],
      [['doctor', '--isuer', 'x'], 'm2m-guard: unknown flag --isuer'],
      [['doctor', '--issuer'], "m2m-guard: Option '--issuer <value>' argument missing"],
      [
        ['doctor', '--issuer', 'x', '--audience', 'a', '--timeout', 'soon'],
        '--timeout must be a whole number',
      ],
      [['explain', 'a.b.c'], 'give --issuer and --audience, or --config FILE'],
      [['explain', '--issuer', 'https://i.example', '--audience', 'a'], 'give a token, or - to read it'],
      [['decode'], 'give a token, or - to read it from standard input'],
      [['decode', '-'], 'standard input held no token'],
      [['decode', 'a', 'b'], 'give one token'],
    ]
    const runs = await Promise.all(cases.map(([args]) => cli(args)))
    for (const [index, [args, message]] of cases.entries()) {
      const result = runs[index]
      expect({ args, code: result?.code }).toEqual({ args, code: 2 })
      expect(result?.stderr).toContain(message)
      expect(result?.stderr).not.toMatch(noStack)
    }
  })

  it('stays quiet when the reader closes the pipe early (| head)', async () => {
    const bin = fileURLToPath(new URL('../bin/m2m-guard.js', import.meta.url))
    const child = spawn(process.execPath, [bin, 'explain', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    clearTimeout(timer)
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  })

  it('colours only a TTY, and not with NO_COLOR', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln'
    const capture = async (isTTY: boolean, env: Record<string, string>) => {
      const stdout = Object.assign(new PassThrough(), { isTTY })
      let text = ''
      stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      const io: Io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env }
      const code = await run(['decode', token], io)
      return { code, text }
    }
    const tty = await capture(true, {})
    expect(tty.text).toContain('\u001b[33m!\u001b[39m Not verified')
    expect((await capture(true, { NO_COLOR: '1' })).text).not.toContain('\u001b[')
    expect((await capture(false, {})).text).not.toContain('\u001b[')
    expect(tty.code).toBe(0)
  })

  it('shows a progress line for doctor on a TTY stderr only, and erases it', async () => {
    const stderr = Object.assign(new PassThrough(), { isTTY: true })
    let text = ''
    stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    const io: Io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {} }
    // Port 9 (discard) on loopback: refused at once, so the run is short and offline.
    const code = await run(
      ['doctor', '--issuer', 'http://127.0.0.1:9', '--audience', 'a', '--timeout', '2000'],
      io,
    )
    expect(text.startsWith('\r\u001b[2K⠋ checking discovery…')).toBe(true)
    expect(text.endsWith('\r\u001b[2K')).toBe(true)
    expect(code).toBe(1)
  })
})
