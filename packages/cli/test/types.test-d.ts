import type {
  CheckLine,
  DecodeReport,
  DoctorReport,
  ExplainReport,
  ExplainRequest,
  HttpAnswer,
  Io,
  PresentedSummary,
} from '@m2m-guard/cli'
import { decodeToken, explainToken, run, runDoctor } from '@m2m-guard/cli'
import { describe, expectTypeOf, it } from 'vitest'

describe('@m2m-guard/cli types', () => {
  it('gives reports whose verdicts narrow', () => {
    expectTypeOf(runDoctor).returns.resolves.toEqualTypeOf<DoctorReport>()
    expectTypeOf(explainToken).returns.resolves.toEqualTypeOf<ExplainReport>()
    expectTypeOf(decodeToken).returns.toEqualTypeOf<DecodeReport>()
    expectTypeOf(run).returns.resolves.toEqualTypeOf<number>()
    expectTypeOf<CheckLine['status']>().toEqualTypeOf<'pass' | 'fail' | 'warn' | 'skip'>()
    expectTypeOf<ExplainReport['http']>().toEqualTypeOf<HttpAnswer | undefined>()
    const verdict = {} as ExplainReport['verdict']
    if (verdict.accepted) expectTypeOf(verdict.clientId).toEqualTypeOf<string | undefined>()
    else expectTypeOf(verdict.status).toEqualTypeOf<number>()
    const decoded = {} as DecodeReport
    if (decoded.ok) expectTypeOf(decoded.signatureBytes).toEqualTypeOf<number>()
    else expectTypeOf(decoded.error).toEqualTypeOf<string>()
  })

  it('takes the explain options core takes, and refuses others', () => {
    expectTypeOf(explainToken).parameter(0).toHaveProperty('options')
    // @ts-expect-error an unknown verifier option is a type error, as it is a TypeError at run time
    void explainToken({ token: 'x', source: 's', options: { issuer: 'i', audience: 'a', audiences: 'a' } })
    expectTypeOf<Io['env']>().toEqualTypeOf<Readonly<Record<string, string | undefined>>>()
  })

  it('takes the request of a bound token, and reports what it presented', () => {
    expectTypeOf(explainToken)
      .parameter(0)
      .toHaveProperty('request')
      .toEqualTypeOf<ExplainRequest | undefined>()
    expectTypeOf<ExplainRequest['certificate']>().toEqualTypeOf<string | Uint8Array | undefined>()
    expectTypeOf<ExplainReport['request']>().toEqualTypeOf<PresentedSummary | undefined>()
    // @ts-expect-error the scheme is Bearer or DPoP
    const basic: ExplainRequest = { scheme: 'Basic' }
    void basic
  })
})
