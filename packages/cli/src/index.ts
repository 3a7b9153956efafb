/**
 * @m2m-guard/cli: the `m2m-guard` command, and its checks as functions for
 * scripts and tests.
 *
 * @example
 * import { runDoctor } from '@m2m-guard/cli'
 * const report = await runDoctor({ issuer: 'https://idp.example', audience: 'https://orders.example' })
 * if (!report.ok) console.log(report.checks.filter((check) => check.status === 'fail'))
 */
export type { CheckLine, CheckStatus } from './check-lines.js'
export { type DecodeReport, decodeToken, type TimeClaim } from './decode.js'
export { type DoctorOptions, type DoctorReport, runDoctor } from './doctor/doctor.js'
export type { PresentedSummary } from './explain/binding-evidence.js'
export type { ExplainRequest } from './explain/bound-request.js'
export {
  type ExplainInput,
  type ExplainReport,
  explainToken,
  type HttpAnswer,
} from './explain/explain.js'
export type { Contact } from './explain/run-verifier.js'
export { run } from './run.js'
export type { Io } from './terminal.js'
