/** `m2m-guard explain`: a token and the verifier's options in, core's verdict explained out. */

import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Requirement, VerifierOptions } from '@m2m-guard/core'
import { integerFlag, listFlag, type ParsedArgs, parseCommandArgs, stringFlag } from '../args.js'
import { loadConfig } from '../config-file.js'
import { certificateParts } from '../explain/binding-evidence.js'
import type { ExplainRequest } from '../explain/bound-request.js'
import { explainToken, renderExplain } from '../explain/explain.js'
import { EXPLAIN_HELP } from '../help.js'
import { createStyle, type Io } from '../terminal.js'
import { readCredential, readStdin } from '../token-input.js'
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
    dpop: { type: 'string' },
    method: { type: 'string' },
    url: { type: 'string' },
    cert: { type: 'string' },
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
  const { token, scheme } = await readCredential('explain', parsed.positionals[0], io)
  const request = await requestFlags(parsed, io, cwd, parsed.positionals[0] === '-')
  const report = await explainToken({
    token,
    options,
    requirement,
    source: config === undefined ? 'the flags' : `config file ${config}`,
    ...(request === undefined && scheme === undefined ? {} : { request: { ...request, scheme } }),
  })
  if (parsed.values.json === true) printJson(io, report)
  else print(io, renderExplain(report, createStyle(io.stdout, io.env)))
  return report.ok ? EXIT.ok : EXIT.failed
}

/** --dpop, --method, --url and --cert: the request a bound token came with, if any is given. */
async function requestFlags(
  parsed: ParsedArgs,
  io: Io,
  cwd: string,
  stdinTaken: boolean,
): Promise<ExplainRequest | undefined> {
  const dpopFlag = stringFlag('explain', parsed, 'dpop')
  const method = stringFlag('explain', parsed, 'method')
  const url = stringFlag('explain', parsed, 'url')
  const certFile = stringFlag('explain', parsed, 'cert')
  if (dpopFlag === undefined && method === undefined && url === undefined && certFile === undefined)
    return undefined
  if (dpopFlag !== undefined && url === undefined) {
    throw new UsageError('--dpop needs --url: the request URL the proof is checked against (htu)', 'explain')
  }
  if (url !== undefined && !URL.canParse(url)) {
    throw new UsageError(`--url must be an absolute URL (https://host/path), got ${url}`, 'explain')
  }
  if (dpopFlag === '-' && stdinTaken) {
    throw new UsageError('the token and the DPoP proof cannot both come from standard input', 'explain')
  }
  // As copied from the request: "DPoP: eyJ…" keeps its header name.
  const dpop =
    dpopFlag === undefined
      ? undefined
      : (dpopFlag === '-' ? await readStdin('explain', io, 'the DPoP proof') : dpopFlag)
          .trim()
          .replace(/^dpop:\s*/i, '')
  return {
    ...(method === undefined ? {} : { method }),
    ...(url === undefined ? {} : { url }),
    ...(dpop === undefined ? {} : { dpop }),
    ...(certFile === undefined ? {} : { certificate: await readCertificate(certFile, cwd) }),
  }
}

async function readCertificate(file: string, cwd: string): Promise<string | Uint8Array> {
  let bytes: Buffer
  try {
    bytes = await readFile(resolve(cwd, file))
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new UsageError(
      `--cert ${file} cannot be read${code === 'ENOENT' ? ': no such file' : ''}`,
      'explain',
    )
  }
  const text = bytes.toString('utf8')
  const certificate = text.includes('-----BEGIN CERTIFICATE-----') ? text : bytes
  if (certificateParts(certificate) === undefined) {
    throw new UsageError(`--cert ${file} is not a certificate (PEM or DER)`, 'explain')
  }
  return certificate
}
