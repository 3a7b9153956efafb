#!/usr/bin/env node
// The `m2m-guard` executable (through bin/m2m-guard.js): runs the command, sets the exit status.
import { run } from './run.js'

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((status) => {
  process.exitCode = status
})
