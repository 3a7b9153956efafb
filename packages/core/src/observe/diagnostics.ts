/**
 * `node:diagnostics_channel`, where the runtime has it, without importing it.
 *
 * Why `process.getBuiltinModule` rather than an `import` behind a package.json
 * condition: a static `import 'node:diagnostics_channel'` is what a Worker
 * bundler refuses (or polyfills) and what workerd without `nodejs_compat`
 * cannot load, so it would need its own `#diagnostics` condition, one more
 * file per runtime. `getBuiltinModule` (Node 20.16+, Bun, Deno) is a plain
 * function call: where it or the module is missing, channels are no-ops, and
 * bundlers see no Node built-in at all.
 */
import type * as DiagnosticsChannel from 'node:diagnostics_channel'

/** The part of a diagnostics channel core uses. */
export interface PublishChannel {
  readonly hasSubscribers: boolean
  publish(message: unknown): void
}

const silent: PublishChannel = Object.freeze({ hasSubscribers: false, publish() {} })

function loadDiagnostics(): typeof DiagnosticsChannel | undefined {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const loaded = runtime?.getBuiltinModule?.('node:diagnostics_channel') as
      | typeof DiagnosticsChannel
      | undefined
    return typeof loaded?.channel === 'function' ? loaded : undefined
  } catch {
    return undefined // a runtime that forbids it: observing is optional
  }
}

const diagnostics = loadDiagnostics()

/**
 * The named channel, or a silent stand-in where the runtime has none.
 * Node keeps one channel object per name, so every verifier shares it.
 */
export function publishChannel(name: string): PublishChannel {
  return diagnostics === undefined ? silent : diagnostics.channel(name)
}
