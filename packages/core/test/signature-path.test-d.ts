// Both signature paths answer to one interface: the one package.json's `#signature` does not pick at
// type-check time (types come from signature-node.ts) must not drift from it.
import { describe, expectTypeOf, it } from 'vitest'
import * as node from '../src/token/signature-node.js'
import type { SignaturePath } from '../src/token/signature-path.js'
import * as web from '../src/token/signature-web.js'

describe('signature paths', () => {
  it('node:crypto and WebCrypto export the same functions', () => {
    expectTypeOf(node).toExtend<SignaturePath>()
    expectTypeOf(web).toExtend<SignaturePath>()
    expectTypeOf(web.verifySignature).returns.toEqualTypeOf<Promise<boolean>>()
    expectTypeOf(node.verifySignature).returns.toEqualTypeOf<boolean>()
  })
})
