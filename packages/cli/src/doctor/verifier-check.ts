/**
 * The doctor's last word goes to core: a real verifier for these options,
 * warmed up against the issuer, so the doctor cannot pass what core fails.
 */
import { createVerifier, type VerifierEvent, type VerifierOptions } from '@m2m-guard/core'
import type { CheckLine } from '../check-lines.js'
import { printable } from '../printable.js'
import type { DoctorOptions } from './doctor.js'
import type { ProbeOptions } from './probe.js'

/**
 * The "verifier" check: `createVerifier(...)` then `warmUp()`.
 *
 * @example
 * const line = await verifierCheck(options, jwksUri, probeOptions, false)
 */
export async function verifierCheck(
  options: DoctorOptions,
  jwksUri: string,
  probeOptions: ProbeOptions,
  allowInsecureHttp: boolean,
): Promise<CheckLine> {
  const events: VerifierEvent[] = []
  const line = (status: CheckLine['status'], detail: string, fix?: string): CheckLine => ({
    id: 'verifier',
    status,
    label: 'verifier',
    detail,
    ...(fix === undefined ? {} : { fix }),
  })
  let verifier: ReturnType<typeof createVerifier>
  try {
    // The user's own options when they came from a config file; the flags' otherwise.
    const base: VerifierOptions = options.verifierOptions ?? {
      issuer: options.issuer,
      audience: options.audience,
      ...(options.jwksUri === undefined ? {} : { jwksUri }),
      allowInsecureHttp,
    }
    verifier = createVerifier({
      ...base,
      jwksCache: { ...base.jwksCache, timeout: probeOptions.timeout },
      tokenCache: false,
      fetch: probeOptions.fetch,
      onEvent: (event) => events.push(event),
    })
  } catch (error) {
    return line(
      'fail',
      `createVerifier refuses these options: ${printable((error as Error).message)}`,
      'fix the option it names',
    )
  }
  try {
    await verifier.warmUp()
  } catch (error) {
    return line('fail', `warmUp() failed: ${printable((error as Error).message)}`, 'see the checks above')
  }
  const fetched = events.find((event) => event.type === 'keys_fetched')
  const count = verifier.keyStatus().keyCount
  return line(
    'pass',
    `core's verifier fetched ${count} usable key${count === 1 ? '' : 's'}${fetched?.type === 'keys_fetched' ? ` in ${Math.round(fetched.durationMs)} ms` : ''}`,
  )
}
