// verifier.backgroundWork() is what Workers' ctx.waitUntil(promise) takes, or nothing.
import { describe, expectTypeOf, it } from 'vitest'
import type { Verifier } from '../src/index.js'

declare const verifier: Verifier
declare const ctx: { waitUntil(promise: Promise<unknown>): void }

describe('Verifier.backgroundWork', () => {
  it('returns a promise of nothing, or undefined', () => {
    expectTypeOf(verifier.backgroundWork).parameters.toEqualTypeOf<[]>()
    expectTypeOf(verifier.backgroundWork()).toEqualTypeOf<Promise<void> | undefined>()
  })

  it('is handed to waitUntil once narrowed, or with a fallback', () => {
    const work = verifier.backgroundWork()
    if (work) expectTypeOf(ctx.waitUntil).toBeCallableWith(work)
    expectTypeOf(ctx.waitUntil).toBeCallableWith(verifier.backgroundWork() ?? Promise.resolve())
    // @ts-expect-error: possibly undefined, waitUntil needs a promise
    ctx.waitUntil(verifier.backgroundWork())
  })
})
