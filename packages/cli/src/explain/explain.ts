/**
 * `m2m-guard explain TOKEN`: core's real verifier on this token, with each
 * check it makes in order, its verdict, the exact HTTP answer an adapter
 * sends, and the fix for the first failure.
 */
import { STATUS_CODES } from 'node:http'
import type { AuthError, Requirement, VerifierOptions } from '@m2m-guard/core'
import { type CheckLine, renderChecks } from '../check-lines.js'
import { printable, quoted } from '../printable.js'
import type { Style } from '../terminal.js'
import { skewSeconds } from '../time-format.js'
import { inspectToken } from '../token-parts.js'
import { bindingEvidence, type PresentedSummary, presentedSummary } from './binding-evidence.js'
import { bindingFix } from './binding-fixes.js'
import { bindingRow } from './binding-line.js'
import { type ExplainRequest, presentRequest, tokenCnf } from './bound-request.js'
import { fixFor } from './fixes.js'
import { CHECK_IDS, type CheckId, type Observation, observe } from './observations.js'
import { effectiveProfile } from './profile.js'
import { type Contact, runVerifier } from './run-verifier.js'
import { checklist, failedCheck, keysReached } from './verdict.js'

/**
 * What to explain.
 *
 * @example
 * const input: ExplainInput = { token, options: { issuer, audience }, requirement: { scopes: ['orders:read'] }, source: 'my script' }
 */
export interface ExplainInput {
  token: string
  options: VerifierOptions
  requirement?: Requirement | undefined
  /**
   * Where the options came from, for messages: "m2m.config.json", "the flags".
   * Options other than "the flags" are a service's own: explain says when it
   * turns their `dpop` or `mtls` on.
   */
  source: string
  /**
   * The request that carried the token, for a DPoP-bound or certificate-bound
   * one: explain then verifies as adapters do (`authenticateRequest`).
   */
  request?: ExplainRequest | undefined
}

/**
 * The HTTP answer an adapter gives.
 *
 * @example
 * const answer: HttpAnswer | undefined = (await explainToken(input)).http
 * answer?.headers['WWW-Authenticate']
 */
export interface HttpAnswer {
  status: number
  headers: Record<string, string>
  /** The JSON body; none when the request passes (the route handler answers). */
  body: unknown
}

/**
 * The explanation.
 *
 * @example
 * const report: ExplainReport = await explainToken(input)
 * if (!report.verdict.accepted) console.log(report.verdict.reason, report.fix)
 */
export interface ExplainReport {
  ok: boolean
  checks: CheckLine[]
  verdict:
    | { accepted: true; issuer: unknown; clientId: string | undefined; scopes: readonly string[] }
    | { accepted: false; status: number; code: string | undefined; reason: string; description: string }
  http: HttpAnswer | undefined
  fix: string | undefined
  /** Every URL the verifier fetched (metadata and keys; never with the token). */
  fetched: Contact[]
  /** The issuer's clock minus ours, in seconds, from its responses' `Date`, if any came. */
  issuerClockSkew: number | undefined
  /** The request presented with the token, if any (a bound token always presents one). */
  request?: PresentedSummary | undefined
}

/**
 * Verifies `input.token` with core and explains the outcome.
 *
 * @example
 * const report = await explainToken({ token, options: { issuer, audience }, source: 'the flags' })
 * console.log(report.verdict)
 */
export async function explainToken(input: ExplainInput): Promise<ExplainReport> {
  const { token, options, requirement, source } = input
  const inspected = inspectToken(token)
  const parts = inspected.ok ? inspected.parts : undefined
  const cnf = tokenCnf(parts?.payload)
  const presented = presentRequest(options, token, cnf, input.request)
  const evidence =
    presented === undefined ? undefined : await bindingEvidence(token, cnf, input.request ?? {}, presented)
  const run = await runVerifier(presented?.options ?? options, token, requirement, source, presented?.request)
  const profile = effectiveProfile(options, parts?.payload.iss)
  const observations = new Map<CheckId, Observation>()
  const issuerSkew = largestSkew(run.contacts)
  if (parts === undefined) {
    if (!inspected.ok) observations.set(inspected.stage, { ok: false, detail: inspected.problem })
  } else {
    const context = { ...parts, profile, requirement, events: run.events, now: run.startedAt, issuerSkew }
    for (const id of CHECK_IDS) if (id !== 'binding') observations.set(id, observe(id, context))
  }
  const { error } = run
  if (evidence !== undefined)
    observations.set('binding', bindingRow(evidence, error?.reason, run.startedAt, source !== 'the flags'))
  const failed =
    error === undefined ? undefined : failedCheck(error, inspected.ok ? undefined : inspected.stage, profile)
  const reached = keysReached(error, run.events, parts?.header, profile)
  const checks = checklist(observations, error, failed, reached)
  const fix =
    error === undefined
      ? undefined
      : (bindingFix(error.reason, evidence) ??
        fixFor({
          error,
          header: parts?.header,
          payload: parts?.payload,
          profile,
          scopes: requirement?.scopes ?? [],
          shapeProblem: inspected.ok ? undefined : inspected.problem,
          issuerSkew,
        }))
  const failedLine = checks.find((check) => check.status === 'fail' && check.id === failed)
  if (failedLine !== undefined) failedLine.fix = fix
  const request = evidence === undefined ? undefined : presentedSummary(evidence)
  if (error === undefined && run.result !== undefined) {
    const { result } = run
    return {
      ok: true,
      checks,
      verdict: {
        accepted: true,
        issuer: result.payload.iss,
        clientId: result.clientId,
        scopes: result.scopes,
      },
      http: undefined,
      fix: undefined,
      fetched: run.contacts,
      issuerClockSkew: issuerSkew,
      ...(request === undefined ? {} : { request }),
    }
  }
  const rejection = error as AuthError
  return {
    ok: false,
    checks,
    verdict: {
      accepted: false,
      status: rejection.status,
      code: rejection.code,
      reason: rejection.reason,
      description: rejection.description,
    },
    http: { status: rejection.status, headers: { ...rejection.headers }, body: rejection.body },
    fix,
    fetched: run.contacts,
    issuerClockSkew: issuerSkew,
    ...(request === undefined ? {} : { request }),
  }
}

/** The largest skew any of the issuer's responses showed, in seconds. */
function largestSkew(contacts: readonly Contact[]): number | undefined {
  let worst: number | undefined
  for (const contact of contacts) {
    if (contact.receivedAt === undefined) continue
    const skew = skewSeconds(contact.date, contact.receivedAt)
    if (skew !== undefined && (worst === undefined || Math.abs(skew) > Math.abs(worst))) worst = skew
  }
  return worst
}

const MEANING: Record<number, string> = {
  400: 'a 400: the request itself is malformed; fix the Authorization header',
  401: 'a 401 tells the client to get a new token and try again',
  403: 'a 403: the token is valid but not enough for this route; a new token with the same grant will not help',
  503: "a 503: not the client's fault; it should retry later, without fetching a new token",
}

// A DPoP proof's refusal is about the proof, not the token (RFC 9449 §7.1).
const MEANING_BY_CODE: Record<string, string> = {
  invalid_dpop_proof:
    'a 401 invalid_dpop_proof: the client must retry with a new, correct proof; its token may still be good',
  use_dpop_nonce: 'a 401 use_dpop_nonce: the client retries with a new proof carrying the DPoP-Nonce above',
}

/**
 * The report as text.
 *
 * @example
 * process.stdout.write(renderExplain(report, style))
 */
export function renderExplain(report: ExplainReport, style: Style): string {
  const fetched =
    report.fetched.length === 0
      ? 'fetched nothing'
      : `fetched ${report.fetched.map((contact) => `${printable(contact.url)} (${contact.status ?? 'no answer'})`).join(', ')}`
  const out = [
    style.dim(`Verified by @m2m-guard/core; the token was sent nowhere (${fetched}).`),
    '',
    renderChecks(report.checks, style).trimEnd(),
    '',
  ]
  const { verdict, http } = report
  if (verdict.accepted) {
    const scopes =
      verdict.scopes.length === 0 ? 'no scopes' : `scopes ${verdict.scopes.map(printable).join(' ')}`
    out.push(
      `${style.bold('verdict')}  ${style.ok('✓ accepted')}: client ${printable(verdict.clientId ?? '(none)')}, ${scopes}`,
    )
    out.push(
      `${style.bold('HTTP')}     the route handler runs, with auth.clientId = ${quoted(verdict.clientId ?? null)}`,
    )
  } else {
    const code = verdict.code === undefined ? '' : ` ${verdict.code}`
    out.push(
      `${style.bold('verdict')}  ${style.fail('✗ refused')}: ${verdict.status}${code}, reason ${verdict.reason}`,
    )
  }
  if (http !== undefined) {
    out.push(`${style.bold('HTTP')}     ${http.status} ${STATUS_CODES[http.status] ?? ''}`.trimEnd())
    for (const [name, value] of Object.entries(http.headers)) out.push(`         ${name}: ${value}`)
    out.push(`         ${JSON.stringify(http.body)}`)
    const code = verdict.accepted ? undefined : verdict.code
    const meaning = (code === undefined ? undefined : MEANING_BY_CODE[code]) ?? MEANING[http.status]
    if (meaning !== undefined) out.push(style.dim(`         ${meaning}`))
  }
  return `${out.join('\n')}\n`
}
