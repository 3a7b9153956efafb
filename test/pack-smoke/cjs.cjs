// Loaded with require() (require(esm), Node.js 20.19 and later).
const assert = require('node:assert/strict')
const core = require('@m2m-guard/core')
const forExpress = require('@m2m-guard/express')
const forKoa = require('@m2m-guard/koa')
const forFastify = require('@m2m-guard/fastify')
const forFetch = require('@m2m-guard/fetch')
const forHono = require('@m2m-guard/hono')
const forNest = require('@m2m-guard/nestjs')

assert.equal(typeof core.createVerifier, 'function')
for (const adapter of [forExpress, forKoa, forFastify, forFetch, forHono]) {
  assert.equal(typeof adapter.createGuard, 'function')
  assert.equal(adapter.AuthError, core.AuthError)
}
assert.equal(typeof forFastify.default, 'function')
assert.equal(forFastify.default, forFastify.m2mGuard)
const guard = forExpress.createGuard({
  issuer: 'https://auth.example.com',
  audience: 'https://orders.example.com',
})
assert.equal(typeof guard.require(), 'function')
const redis = require('@m2m-guard/redis')
assert.equal(typeof redis.createRedisReplayStore, 'function')
assert.equal(typeof redis.createRedisTokenStore, 'function')
assert.equal(typeof forNest.M2mGuardModule.forRoot, 'function')
assert.equal(forNest.AuthError, core.AuthError)
const forClient = require('@m2m-guard/client')
const tokens = forClient.createTokenClient({
  tokenEndpoint: 'https://auth.example.com/token',
  clientId: 'billing',
  clientSecret: 's3cret',
  dpop: true,
})
assert.equal(typeof tokens.fetch, 'function')
console.log('cjs: ok')
