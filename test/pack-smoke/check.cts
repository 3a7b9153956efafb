// A CommonJS TypeScript module requiring the ESM packages (nodenext).
import forExpress = require('@m2m-guard/express')
import forFastify = require('@m2m-guard/fastify')

const guard: forExpress.Guard = forExpress.createGuard({
  issuer: 'https://auth.example.com',
  audience: 'api',
})
const plugin: typeof forFastify.m2mGuard = forFastify.default
const middleware = guard.require({ clients: ['billing'] })
console.log(typeof plugin, typeof middleware)
