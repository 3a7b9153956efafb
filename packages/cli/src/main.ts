#!/usr/bin/env node
// The `m2m-guard` executable (through bin/m2m-guard.js): runs the command, sets the exit status.
import { run } from './run.js'

// A reader that stops early (`m2m-guard doctor … | head -3`) closes the pipe: that is the
// reader's choice, not a failure to report with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exitCode ??= 0
  })
}

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((status) => {
  process.exitCode = status
})
