/**
 * `doctor --config`: the issuers a config file names, each as the doctor
 * checks it, with the options core's verifier would use for it. An issuer
 * template (`{tenantid}`) has no one URL to check, and a local key set
 * nothing to fetch: they are said, not checked.
 */
import type { AsymmetricAlgorithm, VerifierOptions } from '@m2m-guard/core'

/** One issuer of a config file: checked, or why not. */
export type DoctorTarget =
  | {
      label: string
      issuer: string
      audience: string
      jwksUri: string | undefined
      allowInsecureHttp: boolean
      clockTolerance: number | undefined
      algorithms: readonly AsymmetricAlgorithm[] | undefined
      verifierOptions: VerifierOptions
    }
  | { label: string; skipped: string }

type Loose = Record<string, unknown>

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []

/**
 * The issuers to check in `options`: the top-level `issuer` (each, if a list), or every profile of `issuers`.
 *
 * @example
 * doctorTargets({ issuer: 'https://idp.example', audience: 'api' }) // [{ label: 'https://idp.example', issuer: … }]
 */
export function doctorTargets(options: VerifierOptions): DoctorTarget[] {
  const top = options as unknown as Loose
  const allowInsecureHttp = top.allowInsecureHttp === true
  if (Array.isArray(top.issuers)) {
    const { issuers, ...shared } = top
    return (issuers as Loose[]).flatMap((profile, index) =>
      strings(profile?.issuer).map((issuer) =>
        target(`profile ${index + 1}: ${issuer}`, issuer, { ...shared, ...profile }, allowInsecureHttp, {
          ...shared,
          issuers: [profile],
        }),
      ),
    )
  }
  return strings(top.issuer).map((issuer) =>
    target(issuer, issuer, top, allowInsecureHttp, { ...top, issuer }),
  )
}

function target(
  label: string,
  issuer: string,
  merged: Loose,
  allowInsecureHttp: boolean,
  verifierOptions: Loose,
): DoctorTarget {
  if (issuer.includes('{')) return { label, skipped: 'an issuer template: check one tenant with --issuer' }
  if (merged.jwks !== undefined) return { label, skipped: 'a local key set (jwks option): nothing to fetch' }
  const audience = strings(merged.audience)[0] ?? '(none)'
  const jwksUri = merged.jwksUri === undefined ? undefined : String(merged.jwksUri)
  return {
    label,
    issuer,
    audience,
    jwksUri,
    allowInsecureHttp,
    clockTolerance: typeof merged.clockTolerance === 'number' ? merged.clockTolerance : undefined,
    algorithms: Array.isArray(merged.algorithms) ? (merged.algorithms as AsymmetricAlgorithm[]) : undefined,
    verifierOptions: verifierOptions as unknown as VerifierOptions,
  }
}
