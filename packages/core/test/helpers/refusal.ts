/** The AuthError a promise rejects with; fails the test if it resolves or rejects with anything else. */
import { expect } from 'vitest'
import { AuthError } from '../../src/index.js'

export async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError)
    return error as AuthError
  }
  throw new Error('the token was accepted')
}
