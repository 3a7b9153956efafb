import { defineConfig } from 'vitest/config'

// Tests import the workspace packages through their published entry points
// (built `dist/`), so they exercise what users install. `pnpm test` builds first.
const packages = ['core', 'express', 'koa', 'fastify', 'testing', 'client']

export default defineConfig({
  test: {
    projects: [
      ...packages.map((name) => ({
        test: {
          name,
          root: `packages/${name}`,
          include: ['test/**/*.test.ts'],
          typecheck: { enabled: true, include: ['test/**/*.test-d.ts'] },
        },
      })),
      {
        test: {
          name: 'integration',
          root: 'test',
          include: ['**/*.test.ts'],
          typecheck: { enabled: true, include: ['**/*.test-d.ts'] },
        },
      },
      {
        test: { name: 'examples', root: 'examples', include: ['**/*.test.ts'] },
      },
    ],
  },
})
