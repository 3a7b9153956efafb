/**
 * `--config m2m.config.json|.js`: the verifier's options from a file. JSON
 * for plain values; a JS module (default export: the options, or a function
 * returning them) for presets, several issuers, or anything computed.
 */
import { readFile } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { VerifierOptions } from '@m2m-guard/core'
import { UsageError } from './usage-error.js'

/**
 * Loads the options in `path` (relative to `cwd`). Every failure is a
 * {@link UsageError} that names the file and what is wrong with it.
 *
 * @example
 * const options = await loadConfig('m2m.config.js', process.cwd())
 */
export async function loadConfig(path: string, cwd: string, command = 'explain'): Promise<VerifierOptions> {
  const file = resolve(cwd, path)
  const extension = extname(file)
  let value: unknown
  if (extension === '.json') {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new UsageError(`config file ${path} cannot be read: ${describeIoError(error)}`, command)
    }
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new UsageError(`config file ${path} is not valid JSON: ${(error as Error).message}`, command)
    }
  } else if (extension === '.js' || extension === '.mjs') {
    value = await importConfig(file, path, command)
  } else {
    throw new UsageError(`config file ${path}: use a .json, .js or .mjs file`, command)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`config file ${path} must hold an object of verifier options`, command)
  }
  return value as VerifierOptions
}

async function importConfig(file: string, path: string, command: string): Promise<unknown> {
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(file)) {
      throw new UsageError(`config file ${path} does not exist`, command)
    }
    throw new UsageError(`config file ${path} failed to load: ${(error as Error).message}`, command)
  }
  if (!('default' in module)) {
    throw new UsageError(
      `config file ${path} has no default export (export default { issuer, audience })`,
      command,
    )
  }
  const exported = module.default
  if (typeof exported !== 'function') return exported
  try {
    return await (exported as () => unknown)()
  } catch (error) {
    throw new UsageError(
      `config file ${path}: its default export threw: ${(error as Error).message}`,
      command,
    )
  }
}

function describeIoError(error: unknown): string {
  const code = (error as { code?: unknown }).code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'it is a directory'
  return (error as Error).message
}
