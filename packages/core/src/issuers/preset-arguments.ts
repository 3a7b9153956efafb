/**
 * Argument checks shared by the provider presets: each failure is a
 * TypeError that names the preset and the argument, at start-up.
 */
import type { IssuerProfile } from './profile.js'

/** A preset's result: a plain profile with its issuer and audience set, to spread and override. */
export type PresetProfile = IssuerProfile & {
  issuer: string | readonly string[]
  audience: string | readonly string[] | null
}

/** The preset's arguments as an object, with no field outside `known` (a typo fails loudly). */
export function presetArguments(
  preset: string,
  value: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${preset}() needs an object of arguments: { ${known.join(', ')} }`)
  }
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) {
      throw new TypeError(`${preset}() has unknown argument "${name}" (it takes ${known.join(', ')})`)
    }
  }
  return value as Record<string, unknown>
}

/** A required non-empty string argument. */
export function requiredString(preset: string, name: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(
      `${preset}() argument "${name}" must be a non-empty string, such as ${JSON.stringify(example)}`,
    )
  }
  return value
}

/** The `audience` argument: a non-empty string or a non-empty list of them, as the provider writes `aud`. */
export function audienceArgument(preset: string, value: unknown, example: string): string | string[] {
  const list = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((entry) => typeof entry !== 'string' || entry === '')
  ) {
    throw new TypeError(
      `${preset}() argument "audience" must be the API's identifier as the provider writes it in "aud" (a string or a list), such as ${JSON.stringify(example)}`,
    )
  }
  return typeof value === 'string' ? value : [...(list as string[])]
}

// RFC 1123 host names: labels of letters, digits and hyphens, dot-separated.
const HOST =
  /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

/** A bare host name argument (no scheme, no port, no path). */
export function hostArgument(preset: string, name: string, value: unknown, example: string): string {
  const host = requiredString(preset, name, value, example)
  if (!HOST.test(host)) {
    throw new TypeError(
      `${preset}() argument "${name}" must be a host name such as ${JSON.stringify(example)}: no scheme, port, path or slash (got ${JSON.stringify(host)})`,
    )
  }
  return host
}

/** An absolute https URL argument (http only on loopback, for local test servers). */
export function httpsUrlArgument(preset: string, name: string, value: unknown, example: string): URL {
  const text = requiredString(preset, name, value, example)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new TypeError(
      `${preset}() argument "${name}" must be an absolute URL such as ${JSON.stringify(example)}`,
    )
  }
  const loopback =
    url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError(`${preset}() argument "${name}" must be an https URL (plain http only on loopback)`)
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`${preset}() argument "${name}" must have no query, fragment or credentials`)
  }
  return url
}
