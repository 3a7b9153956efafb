/** Runs the Express orders API with ISSUER, AUDIENCE and PORT from the environment. */
import { start } from './app.js'

const api = await start(process.env)
console.log(`Express orders API listening on ${api.url}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void api.close())
