#!/usr/bin/env node
// The bin lives outside dist/ and is committed, so `pnpm install` can link it before the
// package is built (a bin pointing into dist/ made every fresh install warn, issue 13).
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/main.js')) {
    process.stderr.write('m2m-guard: @m2m-guard/cli is not built yet; run `pnpm build`\n')
    process.exitCode = 1
    return
  }
  throw error
})
