#!/usr/bin/env node
import { randomBytes } from 'node:crypto'
import { banner } from './cli-banner.js'
import { parseCli, USAGE } from './cli-options.js'
import type { RegisteredClient } from './options.js'
import { createAuthServer } from './server.js'

// `m2m-guard-issuer`: runs the local authorization server until SIGINT or SIGTERM.

async function main(): Promise<void> {
  let request: Awaited<ReturnType<typeof parseCli>>
  try {
    request = await parseCli(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`m2m-guard-issuer: ${(error as Error).message}\n\n${USAGE}\n`)
    process.exitCode = 2
    return
  }
  if (request.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const demo = request.options.clients.length === 0
  const clients: RegisteredClient[] = demo ? [demoClient()] : request.options.clients
  const server = await createAuthServer({ ...request.options, clients })
  if (request.json) {
    const { issuer, jwksUri, tokenEndpoint, metadataUrl } = server
    process.stdout.write(`${JSON.stringify({ issuer, jwksUri, tokenEndpoint, metadataUrl, clients })}\n`)
  } else {
    process.stdout.write(banner(server, clients, demo))
  }

  const stop = () => {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    server.close().then(
      () => process.stdout.write(request.json ? '' : 'm2m-guard-issuer stopped.\n'),
      () => {
        process.exitCode = 1
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

// A fresh secret per run: a demo server should not teach that fixed secrets are fine.
function demoClient(): RegisteredClient {
  return {
    clientId: 'demo-client',
    clientSecret: randomBytes(18).toString('base64url'),
    scopes: ['orders:read', 'orders:write'],
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`m2m-guard-issuer: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
