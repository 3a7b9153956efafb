/**
 * Checks of single option values, shared by the top-level options and the
 * issuer profiles. Each takes the label its message starts with
 * (`"audience" option`, or `issuers[1] ("https://…") option "audience"`), so
 * that a TypeError names exactly what to fix.
 */
import type { AsymmetricAlgorithm } from './options.js'
import { ASYMMETRIC_ALGORITHMS } from './options.js'

const KNOWN_ALGORITHMS = new Set<string>(ASYMMETRIC_ALGORITHMS)

/** A required non-empty string or non-empty list of non-empty strings. */
export function stringList(label: string, value: unknown): string[] {
  if (value === undefined || value === null) throw new TypeError(`${label} is required`)
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`${label} must be a non-empty string or a non-empty array of strings`)
  }
  for (const entry of list) {
    if (typeof entry !== 'string' || entry === '') {
      throw new TypeError(`${label} must contain only non-empty strings`)
    }
  }
  return [...list]
}

export function parseUrl(label: string, value: unknown): URL {
  if (!(value instanceof URL) && typeof value !== 'string') {
    throw new TypeError(`${label} must be a URL string`)
  }
  try {
    return new URL(value)
  } catch {
    throw new TypeError(`${label} must be an absolute http(s) URL, got ${JSON.stringify(String(value))}`)
  }
}

export function algorithms(label: string, value: unknown): AsymmetricAlgorithm[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`${label} must be a non-empty array`)
  }
  for (const alg of value) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg))) {
      throw new TypeError(
        `${label} must not contain "${alg}": unsigned and symmetric (HS*) tokens are never accepted with public keys`,
      )
    }
    if (typeof alg !== 'string' || !KNOWN_ALGORITHMS.has(alg)) {
      throw new TypeError(
        `${label} contains unsupported ${JSON.stringify(alg)}; use ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return [...new Set(value as AsymmetricAlgorithm[])]
}

export function nonNegative(label: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${label} must be a non-negative number of seconds`)
  }
  return value
}

export function positive(label: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${label} must be a positive number of seconds`)
  }
  return value
}

export function positiveInteger(label: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new TypeError(`${label} must be a positive integer`)
  }
  return value as number
}

export function optionalBoolean(label: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new TypeError(`${label} must be a boolean`)
}

export function optionalFunction<T>(label: string, value: T | undefined): T | undefined {
  if (value === undefined || typeof value === 'function') return value
  throw new TypeError(`${label} must be a function`)
}

/** An optional non-empty list of non-empty strings, without duplicates kept. */
export function optionalStringList(label: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  return [...new Set(stringList(label, value))]
}

/** A plain object (not an array, not null), or a TypeError. */
export function plainObject(label: string, value: unknown, shape: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${label} must be an object like ${shape}`)
  }
  return value as Record<string, unknown>
}
