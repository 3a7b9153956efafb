/**
 * Issue 14's fleet test: eight processes of one caller share a token through one real redis-server.
 * Over more than two token lifetimes the issuer sees one token request per renewal period of the
 * fleet, not of each instance; when Redis is stopped mid-run, each instance falls back to a token of
 * its own (at most one request each) and no call fails.
 *
 * This test runs on the wall clock: eight processes cannot share a frozen one. It lasts about 30 s:
 * the client takes a stored token only with more than 10 s left, so a 13 s lifetime leaves an
 * instance 3 s to pick up the renewed token before it would fetch its own.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createVerifier } from '@m2m-guard/core'
import { type AuthServer, createAuthServer } from '@m2m-guard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

const INSTANCES = 8
const LIFETIME_S = 13
const LIFETIME = LIFETIME_S * 1000
/** The client renews once 80% of a token's lifetime has passed (its `renewBefore` is set below that). */
const RENEWAL_PERIOD = 0.8 * LIFETIME
const DURATION = 2.2 * LIFETIME
const STOP_REDIS_AT = 1.5 * LIFETIME
const AUDIENCE = 'https://orders.example'
const CALLER = fileURLToPath(new URL('./caller.mjs', import.meta.url))

interface Report {
  calls: number
  failed: number
  failures: string[]
  events: Record<string, number>
}

describe('a fleet of callers sharing one token through Redis', () => {
  let issuer: AuthServer
  let redis: RedisServer
  let api: ReturnType<typeof createServer>
  let apiUrl: string
  let apiCalls = 0
  const children: ChildProcess[] = []

  beforeAll(async () => {
    redis = await startRedisServer()
    issuer = await createAuthServer({
      audience: AUDIENCE,
      clients: [
        { clientId: 'billing', clientSecret: 's3cret', scopes: ['orders:read'], tokenLifetime: LIFETIME_S },
      ],
    })
    const verifier = createVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri })
    api = createServer((req, res) => {
      apiCalls++
      verifier.authenticate(req.headers.authorization, { scopes: ['orders:read'] }).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        (error: { status?: number }) => res.writeHead(error.status ?? 500).end(),
      )
    })
    api.listen(0, '127.0.0.1')
    await once(api, 'listening')
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/orders`
  })
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    api?.close()
    await issuer?.close()
    await redis?.stop()
  })

  it(
    'asks the issuer once per renewal period for the whole fleet, once more per instance when Redis goes, and no call fails',
    async () => {
      const config = {
        tokenEndpoint: issuer.tokenEndpoint,
        clientId: 'billing',
        clientSecret: 's3cret',
        redisUrl: redis.url,
        prefix: 'fleet-test:',
        apiUrl,
        renewBefore: 1000,
        durationMs: DURATION,
        intervalMs: 200,
      }
      const reports: Promise<Report>[] = []
      const ready: Promise<unknown>[] = []
      for (let i = 0; i < INSTANCES; i++) {
        const child = fork(CALLER, [JSON.stringify(config)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
        children.push(child)
        const messages = new Map<string, (message: unknown) => void>()
        const waitFor = (type: string) => new Promise((resolve) => messages.set(type, resolve))
        child.on('message', (message: { type: string }) => messages.get(message.type)?.(message))
        const exited = once(child, 'exit').then(([code]) => {
          throw new Error(`instance ${i} exited (${code}) before reporting`)
        })
        ready.push(Promise.race([waitFor('ready'), exited]))
        reports.push(Promise.race([waitFor('report') as Promise<Report>, exited]))
      }
      await Promise.all(ready)
      expect(issuer.requests.token).toBe(0)

      // All start together, so the whole fleet shares its first token.
      for (const child of children) child.send('go')
      const started = Date.now()
      const stopped = new Promise<number>((resolve) => {
        setTimeout(async () => {
          const before = issuer.requests.token
          await redis.stop()
          resolve(before)
        }, STOP_REDIS_AT)
      })
      const results = await Promise.all(reports)
      const requestsBeforeStop = await stopped
      const elapsedBeforeStop = STOP_REDIS_AT

      // Shared: the first token, then one renewal per period, for all eight instances together.
      expect(requestsBeforeStop).toBeGreaterThanOrEqual(1 + Math.floor(elapsedBeforeStop / LIFETIME))
      expect(requestsBeforeStop).toBeLessThanOrEqual(1 + Math.ceil(elapsedBeforeStop / RENEWAL_PERIOD))
      // Without Redis each instance fetches its own token, once in the time that is left (under one period).
      expect(DURATION - STOP_REDIS_AT).toBeLessThan(RENEWAL_PERIOD)
      const afterStop = issuer.requests.token - requestsBeforeStop
      expect(afterStop).toBeGreaterThanOrEqual(1)
      expect(afterStop).toBeLessThanOrEqual(INSTANCES)

      for (const report of results) {
        expect(report.failures).toEqual([])
        expect(report.failed).toBe(0)
        // Calls went on for the whole run, over more than two token lifetimes.
        expect(report.calls).toBeGreaterThan(DURATION / (2 * config.intervalMs))
      }
      expect(Date.now() - started).toBeGreaterThan(2 * LIFETIME)
      expect(results.reduce((sum, report) => sum + (report.events.store_fallback ?? 0), 0)).toBeGreaterThan(0)
      expect(apiCalls).toBe(results.reduce((sum, report) => sum + report.calls, 0))
    },
    DURATION + 30_000,
  )
})
