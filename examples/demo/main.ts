/**
 * `pnpm demo`: runs the demo and exits. `pnpm demo --serve`: runs it, then
 * keeps every server up for your own calls until Ctrl-C.
 */
import { once } from 'node:events'
import { runDemo } from './run-demo.js'
import { serveInstructions } from './serve.js'

const args = process.argv.slice(2)
const serve = args.includes('--serve')
const unknown = args.filter((arg) => arg !== '--serve')

if (args.includes('--help') || args.includes('-h')) {
  console.log(
    'usage: pnpm demo [--serve]\n\n  --serve  keep the servers running after the demo, for your own curl calls (Ctrl-C stops them)',
  )
} else if (unknown.length > 0) {
  console.error(`unknown argument: ${unknown.join(' ')}\nusage: pnpm demo [--serve]`)
  process.exitCode = 2
} else {
  const rows = await runDemo({
    output: process.stdout,
    // Wrap to the terminal; piped or redirected output keeps one line per call.
    width: process.stdout.isTTY ? process.stdout.columns : undefined,
    ...(serve && {
      // Runs after the table, before anything is closed.
      async keepRunning(world) {
        console.log(`\n${serveInstructions(world).join('\n')}`)
        await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')])
        console.log('\nStopping.')
      },
    }),
  })
  if (!serve) console.log('\n  To keep the servers running for your own curl calls: pnpm demo --serve')
  if (rows.some((row) => row.status !== row.expected)) process.exitCode = 1
}
