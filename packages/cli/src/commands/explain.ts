/** `m2m-guard explain`: a token and the verifier's options in, core's verdict explained out. */
import type { Requirement, VerifierOptions } from '@m2m-guard/core'
import { integerFlag, listFlag, parseCommandArgs, stringFlag } from '../args.js'
import { loadConfig } from '../config-file.js'
import { explainToken, renderExplain } from '../explain/explain.js'
import { EXPLAIN_HELP } from '../help.js'
import { createStyle, type Io } from '../terminal.js'
import { readToken } from '../token-input.js'
import { UsageError } from '../usage-error.js'
import { COMMON_FLAGS, EXIT, help, positive, print, printJson } from './shared.js'

/**
 * `m2m-guard explain`.
 *
 * @example
 * process.exitCode = await explainCommand([token, '--config', 'm2m.config.json'], io, process.cwd())
 */
export async function explainCommand(argv: string[], io: Io, cwd: string): Promise<number> {
  const parsed = parseCommandArgs('explain', argv, {
    ...COMMON_FLAGS,
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
