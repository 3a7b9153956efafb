// One instance of a caller in the fleet test (fleet.test.ts forks eight of these): a token client
// sharing its token through Redis, calling the API until told its time is up. It talks to the
// test over the IPC channel: 'ready' once connected, then it waits for 'go', then it reports.
import { createTokenClient } from '@m2m-guard/client'
import { createRedisTokenStore } from '@m2m-guard/redis'
import { createClient } from 'redis'

const config = JSON.parse(process.argv[2] ?? '{}')
// Exit with the test, whatever happens to it.
process.on('disconnect', () => process.exit(0))

const redis = createClient({ url: config.redisUrl })
// node-redis reports a lost connection as an 'error' event; unheard, it would end the process.
redis.on('error', () => {})
await redis.connect()

const events = {}
const client = createTokenClient({
  tokenEndpoint: config.tokenEndpoint,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  scope: ['orders:read'],
  renewBefore: config.renewBefore,
  store: createRedisTokenStore(redis, { prefix: config.prefix }),
  onEvent: (event) => {
    events[event.type] = (events[event.type] ?? 0) + 1
  },
})

process.send?.({ type: 'ready' })
await new Promise((resolve) => process.once('message', resolve))

const started = Date.now()
let calls = 0
const failures = []
while (Date.now() - started < config.durationMs) {
  calls++
  try {
    const response = await client.fetch(config.apiUrl)
    if (response.status !== 200) failures.push(`HTTP ${response.status}: ${await response.text()}`)
    else await response.arrayBuffer()
  } catch (error) {
    failures.push(String(error))
  }
  await new Promise((resolve) => setTimeout(resolve, config.intervalMs))
}

process.send?.({ type: 'report', calls, failures: failures.slice(0, 10), failed: failures.length, events })
redis.destroy()
process.disconnect()
