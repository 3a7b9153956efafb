#!/usr/bin/env node
/**
 * Tarball smoke test: packs core, the adapters and redis as they would be
 * published, lints the tarballs (publint --strict, attw --profile esm-only),
 * installs them into a fresh project outside the workspace with the
 * frameworks, and uses them from ESM, from CommonJS require(), and from
 * TypeScript with module nodenext (req.auth, ctx.state.auth, request.auth
 * typed); the web-standard fetch gate and Hono also run on Bun and Deno
 * (the binaries of the workspace's devDependencies). The fixtures are in ./pack-smoke/.
 *
 * Needs `pnpm build` first. Installs with pnpm from its store, going to the
 * registry only for what the store lacks.
 *
 *   pnpm run test:pack [--keep]
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { BINARIES } from './runtimes/binaries.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const fixtures = fileURLToPath(new URL('./pack-smoke/', import.meta.url))
const packages = [
  'core',
  'express',
  'koa',
  'fastify',
  'fetch',
  'hono',
  'redis',
  'nestjs',
  'cli',
  'client',
  'otel',
]
const keep = process.argv.includes('--keep')
const bin = (name) => join(root, 'node_modules', '.bin', name)
// The frameworks at the versions the workspace tests, so the store already has them.
const fromTests = createRequire(join(root, 'test', 'package.json'))
const versionOf = (name) => fromTests(`${name}/package.json`).version
// Hono's `exports` keep its package.json private: read the one above its entry point.
function unexportedVersionOf(name) {
  const entry = fromTests.resolve(name)
  const dir = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length)
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
}

async function run(label, command, args, cwd) {
  const started = Date.now()
  try {
    await promisify(execFile)(command, args, { cwd, encoding: 'utf8' })
  } catch (error) {
    process.stderr.write(`✗ ${label}\n${error.stdout ?? ''}${error.stderr ?? ''}`)
    throw new Error(`${label} failed`)
  }
  console.log(`✓ ${label} (${Date.now() - started} ms)`)
}

const work = mkdtempSync(join(tmpdir(), 'm2m-guard-pack-'))
try {
  await Promise.all(
    packages.map((name) =>
      run(
        `pack @m2m-guard/${name}`,
        'pnpm',
        ['pack', '--pack-destination', work],
        join(root, 'packages', name),
      ),
    ),
  )
  const tarballs = Object.fromEntries(
    packages.map((name) => [name, readdirSync(work).find((file) => file.startsWith(`m2m-guard-${name}-`))]),
  )
  await Promise.all(
    packages.flatMap((name) => {
      const tarball = join(work, tarballs[name])
      return [
        run(`publint --strict ${tarballs[name]}`, bin('publint'), ['run', '--strict', tarball], work),
        run(
          `attw --profile esm-only ${tarballs[name]}`,
          bin('attw'),
          [tarball, '--profile', 'esm-only'],
          work,
        ),
      ]
    }),
  )

  const project = join(work, 'project')
  cpSync(fixtures, project, { recursive: true })
  const file = (name) => `file:../${tarballs[name]}`
  const manifest = {
    name: 'm2m-guard-pack-smoke',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(packages.map((name) => [`@m2m-guard/${name}`, file(name)])),
      express: versionOf('express'),
      koa: versionOf('koa'),
      fastify: versionOf('fastify'),
      hono: unexportedVersionOf('hono'),
      '@nestjs/common': versionOf('@nestjs/common'),
      '@nestjs/core': versionOf('@nestjs/core'),
      '@nestjs/platform-express': versionOf('@nestjs/platform-express'),
      // Its `exports` hide package.json: the range the tests install it with.
      'reflect-metadata': fromTests('./package.json').devDependencies['reflect-metadata'],
      rxjs: versionOf('rxjs'),
      // @m2m-guard/otel's peer dependency.
      '@opentelemetry/api': JSON.parse(readFileSync(join(root, 'packages/otel/package.json'), 'utf8'))
        .devDependencies['@opentelemetry/api'],
      '@types/express': versionOf('@types/express'),
      '@types/koa': versionOf('@types/koa'),
      '@types/node': createRequire(join(root, 'package.json'))('@types/node/package.json').version,
    },
    // The adapters depend on @m2m-guard/core (Hono on the fetch gate) at versions no registry has yet.
    pnpm: { overrides: { '@m2m-guard/core': file('core'), '@m2m-guard/fetch': file('fetch') } },
  }
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await run(
    'install the tarballs into a fresh project',
    'pnpm',
    [
      'install',
      '--prefer-offline',
      '--config.manage-package-manager-versions=false',
      '--config.lockfile=false',
    ],
    project,
  )

  // NestJS 11 (CommonJS) in a project of its own, since an app has one @nestjs/common:
  // the packed module against the previous major, through ESM-to-CommonJS interop.
  const nest11 = join(work, 'nest11')
  cpSync(fixtures, nest11, { recursive: true })
  const nest11Manifest = {
    name: 'm2m-guard-pack-smoke-nest11',
    private: true,
    type: 'module',
    dependencies: {
      '@m2m-guard/core': file('core'),
      '@m2m-guard/nestjs': file('nestjs'),
      '@nestjs/common': '^11',
      '@nestjs/core': '^11',
      '@nestjs/platform-express': '^11',
      'reflect-metadata': manifest.dependencies['reflect-metadata'],
      rxjs: manifest.dependencies.rxjs,
    },
    pnpm: { overrides: { '@m2m-guard/core': file('core') } },
  }
  writeFileSync(join(nest11, 'package.json'), `${JSON.stringify(nest11Manifest, null, 2)}\n`)
  await run(
    'install the Nest module with NestJS 11 into another project',
    'pnpm',
    [
      'install',
      '--prefer-offline',
      '--config.manage-package-manager-versions=false',
      '--config.lockfile=false',
    ],
    nest11,
  )

  await Promise.all([
    run('import from ESM, guard real routes', process.execPath, ['esm.mjs'], project),
    run('require() from CommonJS', process.execPath, ['cjs.cjs'], project),
    run('web-standard fetch gate and Hono on Node', process.execPath, ['web.mjs'], project),
    run('a Nest app with the packed module', process.execPath, ['nest.mjs'], project),
    run('the same on NestJS 11', process.execPath, ['nest.mjs'], nest11),
    run('the same on Bun', BINARIES.bun(), ['web.mjs'], project),
    // Deno's sandbox: read the project (its node_modules) and nothing else.
    run(
      'the same on Deno',
      BINARIES.deno(),
      ['run', `--allow-read=${project}`, '--no-prompt', '--no-lock', 'web.mjs'],
      project,
    ),
    run(
      'the installed m2m-guard bin runs',
      join(project, 'node_modules', '.bin', 'm2m-guard'),
      ['--help'],
      project,
    ),
    run(
      'TypeScript nodenext, skipLibCheck off',
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'],
      project,
    ),
  ])
} finally {
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}
