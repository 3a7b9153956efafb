#!/usr/bin/env node
import { randomBytes } from 'node:crypto'
import { banner } from './cli-banner.js'
import { parseCli, USAGE } from './cli-options.js'
import type { RegisteredClient } from './options.js'
import { type AuthServer, createAuthServer } from './server.js'

// `m2m-guard-issuer`: runs the local authorization server until SIGINT or SIGTERM.

interface Started {
  readonly server: AuthServer
  readonly clients: RegisteredClient[]
  readonly demo: boolean
  readonly json: boolean
}

async function start(argv: string[]): Promise<Started | undefined> {
  const request = await parseCli(argv)
  if (request.help) {
    process.stdout.write(`${USAGE}\n`)
    return undefined
  }
  const demo = request.options.clients.length === 0
  const clients = demo ? [demoClient()] : request.options.clients
  const server = await createAuthServer({ ...request.options, clients })
  return { server, clients, demo, json: request.json }
}

// A fresh secret per run: a demo server should not teach that fixed secrets are fine.
function demoClient(): RegisteredClient {
  return {
    clientId: 'demo-client',
    clientSecret: randomBytes(18).toString('base64url'),
    scopes: ['orders:read', 'orders:write'],
  }
}

function serveUntilSignal({ server, clients, demo, json }: Started): void {
  if (json) {
    const { issuer, jwksUri, tokenEndpoint, metadataUrl, flavor, tenant } = server
    const endpoints = { issuer, jwksUri, tokenEndpoint, metadataUrl, flavor, tenant }
    process.stdout.write(`${JSON.stringify({ ...endpoints, clients })}\n`)
  } else {
    process.stdout.write(banner(server, clients, demo))
  }
  const stop = () => {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    server.close().then(
      () => process.stdout.write(json ? '' : 'm2m-guard-issuer stopped.\n'),
      () => {
        process.exitCode = 1
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

start(process.argv.slice(2)).then(
  (started) => {
    if (started !== undefined) serveUntilSignal(started)
  },
  (error: unknown) => {
    // Flags and options are checked with TypeErrors: a usage mistake, exit code 2. Anything
    // else (a port in use) is a failure to run, exit code 1.
    const usage = error instanceof TypeError
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`m2m-guard-issuer: ${message}\n${usage ? `\n${USAGE}\n` : ''}`)
    process.exitCode = usage ? 2 : 1
  },
)
