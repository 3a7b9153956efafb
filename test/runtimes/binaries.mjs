// Where the Bun, Deno and workerd binaries are: in the per-platform packages
// that the `bun`, `deno` and `workerd` npm packages (devDependencies of the
// test workspace) depend on. pnpm does not run those packages' install
// scripts, which would only copy the same binary elsewhere.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const fromTests = createRequire(new URL('../package.json', import.meta.url))

/** The binary inside `platformPackage`, an optional dependency of `mainPackage`. */
function binaryOf(mainPackage, platformPackage, path) {
  const fromMain = createRequire(fromTests.resolve(`${mainPackage}/package.json`))
  return join(dirname(fromMain.resolve(`${platformPackage}/package.json`)), path)
}

const arch = (x64, arm64) => (process.arch === 'x64' ? x64 : arm64)
const os = process.platform

export const BINARIES = {
  bun: () => binaryOf('bun', `@oven/bun-${os}-${arch('x64', 'aarch64')}`, 'bin/bun'),
  deno: () =>
    binaryOf('deno', `@deno/${os}-${arch('x64', 'arm64')}${os === 'linux' ? '-glibc' : ''}`, 'deno'),
  workerd: () => binaryOf('workerd', `@cloudflare/workerd-${os}-${arch('64', 'arm64')}`, 'bin/workerd'),
}
