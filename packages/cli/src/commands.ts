/**
 * The three commands: flags in, report out (text or --json), exit status back.
 */
import type { Requirement, VerifierOptions } from '@m2m-guard/core'
import { integerFlag, listFlag, parseCommandArgs, stringFlag } from './args.js'
import { renderChecks } from './check-lines.js'
import { decodeToken, renderDecode } from './decode.js'
import { runDoctor } from './doctor/doctor.js'
import { loadConfig } from './explain/config-file.js'
import { explainToken, renderExplain } from './explain/explain.js'
import { DECODE_HELP, DOCTOR_HELP, EXPLAIN_HELP } from './help.js'
import { createProgress } from './progress.js'
import { createStyle, type Io } from './terminal.js'
import { readToken } from './token-input.js'
import { UsageError } from './usage-error.js'

/** Exit statuses: all well, a check failed, a usage error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

const json = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const

const print = (io: Io, text: string) => io.stdout.write(text)
const printJson = (io: Io, value: unknown) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`)

/**
 * `m2m-guard doctor`.
 *
 * @example
 * process.exitCode = await doctorCommand(['--issuer', issuer, '--audience', audience], io)
 */
export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('doctor', argv, {
    ...json,
    issuer: { type: 'string' },
    audience: { type: 'string' },
    'jwks-uri': { type: 'string' },
    'allow-insecure-http': { type: 'boolean' },
    'clock-tolerance': { type: 'string' },
    timeout: { type: 'string' },
  })
  if (parsed.values.help === true) return help(io, DOCTOR_HELP)
  if (parsed.positionals.length > 0)
    throw new UsageError(`unexpected argument ${parsed.positionals[0]}`, 'doctor')
  const issuer = stringFlag('doctor', parsed, 'issuer')
  const audience = stringFlag('doctor', parsed, 'audience')
  if (issuer === undefined) throw new UsageError('--issuer is required', 'doctor')
  if (audience === undefined) throw new UsageError('--audience is required', 'doctor')
  const asJson = parsed.values.json === true
  const progress = createProgress(io.stderr, !asJson)
  let report: Awaited<ReturnType<typeof runDoctor>>
  try {
    report = await runDoctor({
      issuer,
      audience,
      jwksUri: stringFlag('doctor', parsed, 'jwks-uri'),
      allowInsecureHttp: parsed.values['allow-insecure-http'] === true,
      clockTolerance: integerFlag('doctor', parsed, 'clock-tolerance', 5),
      timeout: positive('doctor', integerFlag('doctor', parsed, 'timeout', 5000), 'timeout'),
      onProgress: (step) => progress.step(`checking ${step}…`),
    })
  } finally {
    progress.stop()
  }
  if (asJson) printJson(io, report)
  else print(io, renderChecks(report.checks, createStyle(io.stdout, io.env)))
  return report.ok ? EXIT.ok : EXIT.failed
}

/**
 * `m2m-guard explain`.
 *
 * @example
 * process.exitCode = await explainCommand([token, '--config', 'm2m.config.json'], io, process.cwd())
 */
export async function explainCommand(argv: string[], io: Io, cwd: string): Promise<number> {
  const parsed = parseCommandArgs('explain', argv, {
    ...json,
    config: { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    'jwks-uri': { type: 'string' },
    'require-typ': { type: 'boolean' },
    'clock-tolerance': { type: 'string' },
    'allow-insecure-http': { type: 'boolean' },
    scope: { type: 'string', multiple: true },
    client: { type: 'string', multiple: true },
    timeout: { type: 'string' },
  })
  if (parsed.values.help === true) return help(io, EXPLAIN_HELP)
  if (parsed.positionals.length > 1) throw new UsageError('give one token', 'explain')
  const config = stringFlag('explain', parsed, 'config')
  const flagged = ['issuer', 'audience', 'jwks-uri', 'require-typ', 'clock-tolerance', 'allow-insecure-http']
  const given = flagged.filter((name) => parsed.values[name] !== undefined)
  let options: VerifierOptions
  if (config !== undefined) {
    if (given.length > 0) {
      throw new UsageError(
        `--config holds the verifier options; put ${given.map((n) => `--${n}`).join(', ')} in it instead`,
        'explain',
      )
    }
    options = await loadConfig(config, cwd)
  } else {
    const issuer = stringFlag('explain', parsed, 'issuer')
    const audience = stringFlag('explain', parsed, 'audience')
    if (issuer === undefined || audience === undefined) {
      throw new UsageError('give --issuer and --audience, or --config FILE', 'explain')
    }
    const jwksUri = stringFlag('explain', parsed, 'jwks-uri')
    options = {
      issuer,
      audience,
      ...(jwksUri === undefined ? {} : { jwksUri }),
      ...(parsed.values['require-typ'] === true ? { requireTyp: true } : {}),
      ...(parsed.values['allow-insecure-http'] === true ? { allowInsecureHttp: true } : {}),
      clockTolerance: integerFlag('explain', parsed, 'clock-tolerance', 5),
    }
  }
  const timeout = stringFlag('explain', parsed, 'timeout')
  if (timeout !== undefined) {
    const ms = positive('explain', integerFlag('explain', parsed, 'timeout', 5000), 'timeout')
    options = { ...options, jwksCache: { ...options.jwksCache, timeout: ms } }
  }
  const scopes = listFlag(parsed, 'scope')
  const clients = listFlag(parsed, 'client')
  const requirement: Requirement | undefined =
    scopes.length === 0 && clients.length === 0
      ? undefined
      : { ...(scopes.length > 0 ? { scopes } : {}), ...(clients.length > 0 ? { clients } : {}) }
  const token = await readToken('explain', parsed.positionals[0], io)
  const report = await explainToken({
    token,
    options,
    requirement,
    source: config === undefined ? 'the flags' : `config file ${config}`,
  })
  if (parsed.values.json === true) printJson(io, report)
  else print(io, renderExplain(report, createStyle(io.stdout, io.env)))
  return report.ok ? EXIT.ok : EXIT.failed
}

/**
 * `m2m-guard decode`.
 *
 * @example
 * process.exitCode = await decodeCommand([token, '--json'], io)
 */
export async function decodeCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('decode', argv, json)
  if (parsed.values.help === true) return help(io, DECODE_HELP)
  if (parsed.positionals.length > 1) throw new UsageError('give one token', 'decode')
  const token = await readToken('decode', parsed.positionals[0], io)
  const report = decodeToken(token, Date.now())
  if (parsed.values.json === true) printJson(io, report)
  else print(io, renderDecode(report, createStyle(io.stdout, io.env)))
  return report.ok ? EXIT.ok : EXIT.failed
}

function help(io: Io, text: string): number {
  print(io, `${text}\n`)
  return EXIT.ok
}

function positive(command: string, value: number, name: string): number {
  if (value <= 0) throw new UsageError(`--${name} must be more than 0`, command)
  return value
}
