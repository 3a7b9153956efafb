import { TokenRequestError } from './errors.js'

/**
 * A credential given as a function, read at each token request: a secrets manager lookup, a file
 * mounted by the platform. It may return the value or a promise of it.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises'
 * const clientSecret: CredentialSource<string> = async () =>
 *   (await readFile('/var/run/secrets/oauth/client-secret', 'utf8')).trim()
 * ```
 */
export type CredentialSource<T> = () => T | Promise<T>

/**
 * Reads one credential option. A plain value is validated once, at `createTokenClient`, and never
 * changes; a function is called (and its answer validated) at every `read()`.
 *
 * @example
 * ```ts
 * const secret = credentialReader(options.clientSecret, 'clientSecret', checkSecret, 10_000)
 * const value = await secret.read()
 * ```
 */
export interface CredentialReader<T> {
  /** True when the option is a function: a second read may give another (rotated) value. */
  readonly dynamic: boolean
  read(): Promise<T>
}

function unavailable(name: string, message: string, retryable: boolean, cause?: unknown) {
  return new TokenRequestError(`the "${name}" function ${message}`, {
    reason: 'credential_unavailable',
    retryable,
    ...(cause === undefined ? {} : { cause }),
  })
}

// A secrets manager that never answers must not hang every caller: the read gets the same time limit
// as an HTTP request. The timer is unref'd, as the request timers are.
async function withinTime<T>(run: () => T | Promise<T>, timeout: number, name: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(name, `did not answer within ${timeout} ms`, true)), timeout)
    timer.unref?.()
  })
  try {
    return await Promise.race([Promise.resolve().then(run), expired])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Makes the reader of a credential option. `validate` throws a TypeError naming the option (and never
 * quoting the value) for an unusable value: for a plain value that error is thrown now, at creation;
 * for a function's answer it becomes a {@link TokenRequestError} with reason `credential_unavailable`
 * that is not retried (the same function would give the same answer). A function that throws,
 * rejects or takes longer than `timeout` fails the same way but is retried, like a network error.
 *
 * @example
 * ```ts
 * const secret = credentialReader(() => vault.read('billing'), 'clientSecret', checkSecret, 10_000)
 * ```
 */
export function credentialReader<T>(
  input: unknown,
  name: string,
  validate: (value: unknown) => T,
  timeout: number,
): CredentialReader<T> {
  if (typeof input !== 'function') {
    const value = validate(input)
    return { dynamic: false, read: async () => value }
  }
  const source = input as CredentialSource<unknown>
  return {
    dynamic: true,
    read: async () => {
      let raw: unknown
      try {
        raw = await withinTime(source, timeout, name)
      } catch (cause) {
        if (cause instanceof TokenRequestError) throw cause
        throw unavailable(name, 'failed', true, cause)
      }
      try {
        return validate(raw)
      } catch (cause) {
        const message = cause instanceof TypeError ? cause.message : 'returned an unusable value'
        throw unavailable(name, `returned a value that is not usable: ${message}`, false)
      }
    },
  }
}
