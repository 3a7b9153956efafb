/** `m2m-guard doctor`: flags or a config file in, the doctor's checks out. */
import { createVerifier } from '@m2m-guard/core'
import { integerFlag, parseCommandArgs, stringFlag } from '../args.js'
import { renderChecks } from '../check-lines.js'
import { loadConfig } from '../config-file.js'
import { doctorTargets } from '../doctor/config-targets.js'
import { type DoctorReport, runDoctor } from '../doctor/doctor.js'
import { DOCTOR_HELP } from '../help.js'
import { createProgress } from '../progress.js'
import { createStyle, type Io } from '../terminal.js'
import { UsageError } from '../usage-error.js'
import { COMMON_FLAGS, EXIT, help, positive, print, printJson } from './shared.js'

/**
 * `m2m-guard doctor`.
 *
 * @example
 * process.exitCode = await doctorCommand(['--issuer', issuer, '--audience', audience], io)
 */
export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommandArgs('doctor', argv, {
    ...COMMON_FLAGS,
    issuer: { type: 'string' },
    audience: { type: 'string' },
    'jwks-uri': { type: 'string' },
    'allow-insecure-http': { type: 'boolean' },
    'clock-tolerance': { type: 'string' },
    timeout: { type: 'string' },
    config: { type: 'string' },
  })
  if (parsed.values.help === true) return help(io, DOCTOR_HELP)
  if (parsed.positionals.length > 0)
    throw new UsageError(`unexpected argument ${parsed.positionals[0]}`, 'doctor')
  const asJson = parsed.values.json === true
  const timeout = positive('doctor', integerFlag('doctor', parsed, 'timeout', 5000), 'timeout')
  const tolerance = integerFlag('doctor', parsed, 'clock-tolerance', 5)
  const style = createStyle(io.stdout, io.env)
  const progress = createProgress(io.stderr, !asJson)
  const onProgress = (step: string) => progress.step(`checking ${step}…`)
  const config = stringFlag('doctor', parsed, 'config')
  try {
    if (config === undefined) {
      const issuer = stringFlag('doctor', parsed, 'issuer')
      const audience = stringFlag('doctor', parsed, 'audience')
      if (issuer === undefined) throw new UsageError('--issuer is required (or --config FILE)', 'doctor')
      if (audience === undefined) throw new UsageError('--audience is required (or --config FILE)', 'doctor')
      const report = await runDoctor({
        issuer,
        audience,
        jwksUri: stringFlag('doctor', parsed, 'jwks-uri'),
        allowInsecureHttp: parsed.values['allow-insecure-http'] === true,
        clockTolerance: tolerance,
        timeout,
        onProgress,
      })
      progress.stop()
      if (asJson) printJson(io, report)
      else print(io, renderChecks(report.checks, style))
      return report.ok ? EXIT.ok : EXIT.failed
    }
    const given = ['issuer', 'audience', 'jwks-uri', 'allow-insecure-http'].filter(
      (name) => parsed.values[name] !== undefined,
    )
    if (given.length > 0) {
      throw new UsageError(
        `--config holds the verifier options; put ${given.map((n) => `--${n}`).join(', ')} in it instead`,
        'doctor',
      )
    }
    const options = await loadConfig(config, process.cwd(), 'doctor')
    try {
      createVerifier(options) // fetches nothing yet: only refuses options core does not take
    } catch (error) {
      if (error instanceof TypeError)
        throw new UsageError(`config file ${config}: ${error.message}`, 'doctor')
      throw error
    }
    const targets = doctorTargets(options)
    if (targets.length === 0) throw new UsageError(`config file ${config} names no issuer`, 'doctor')
    const reports: (DoctorReport & { label: string })[] = []
    const skipped: { label: string; skipped: string }[] = []
    for (const target of targets) {
      if ('skipped' in target) {
        skipped.push(target)
        continue
      }
      const { label, clockTolerance, ...options } = target
      reports.push({
        label,
        ...(await runDoctor({
          ...options,
          clockTolerance: clockTolerance ?? tolerance,
          timeout,
          onProgress,
        })),
      })
    }
    progress.stop()
    const ok = reports.every((report) => report.ok)
    if (asJson) printJson(io, { ok, issuers: reports, skipped })
    else {
      const sections = reports.map(
        (report) => `${style.bold(report.label)}\n${renderChecks(report.checks, style)}`,
      )
      for (const { label, skipped: why } of skipped)
        sections.push(`${style.bold(label)}\n${style.dim(`– not checked: ${why}`)}\n`)
      print(io, sections.join('\n'))
    }
    return ok ? EXIT.ok : EXIT.failed
  } finally {
    progress.stop()
  }
}
