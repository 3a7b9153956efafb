import type { AuthError } from '@m2m-guard/core'
import { expect } from 'vitest'

/** Asserts that explain's HTTP section is `error`'s answer: status, every header, the body. */
export function expectHttpAnswer(stdout: string, error: AuthError): void {
  expect(stdout).toContain(`HTTP     ${error.status} `)
  for (const [name, value] of Object.entries(error.headers))
    expect(stdout).toContain(`         ${name}: ${value}\n`)
  expect(stdout).toContain(`         ${JSON.stringify(error.body)}\n`)
}
