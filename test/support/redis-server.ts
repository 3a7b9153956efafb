/**
 * A real redis-server for tests (start-up, stop, and what happens without
 * one): the bench's module, which the fleet soak uses too.
 */
export { type RedisServer, RedisUnavailableError, startRedisServer } from '../../bench/src/redis-server.js'
