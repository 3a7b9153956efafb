import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests import the workspace packages through their published entry points
// (built `dist/`), so they exercise what users install. `pnpm test` builds first.
const packages = [
  'core',
  'express',
  'koa',
  'fastify',
  'testing',
  'client',
  'fetch',
  'hono',
  'redis',
  'nestjs',
  'cli',
  'otel',
]

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        test: { name, root: `packages/${name}`, include: ['test/**/*.test.ts'] },
      })),
      { test: { name: 'integration', root: 'test', include: ['**/*.test.ts'] } },
      {
        // The differential test, the DPoP proofs and the scenario table again, every signature
        // checked on libuv's thread pool (core's token/signature-dispatch.ts), not only under overlap.
        test: {
          name: 'core-off-thread',
          include: [
            'packages/core/test/differential.test.ts',
            'packages/core/test/request/dpop-proof.test.ts',
            'test/adapters.test.ts',
          ],
          setupFiles: ['packages/core/test/helpers/signatures-off-thread.ts'],
        },
      },
      { test: { name: 'examples', root: 'examples', include: ['**/*.test.ts'] } },
      {
        // Every type test of the workspace in one project, so tsc runs once,
        // against the strict test configuration.
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['packages/*/test/**/*.test-d.ts', 'test/**/*.test-d.ts'],
            tsconfig: fileURLToPath(new URL('./tsconfig.test.json', import.meta.url)),
          },
        },
      },
    ],
  },
})
