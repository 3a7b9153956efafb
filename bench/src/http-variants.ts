/**
 * The HTTP suite's servers: which variants each framework is measured with,
 * how the report names them, which workloads each runs and the token cache
 * each m2m-guard server gets. Kept apart from http-server.ts (the child
 * process) so the parent and the report import the catalogue, not the server.
 */

export type Framework = 'express' | 'koa' | 'fastify'

export type HttpWorkload = 'reused-token' | 'distinct-tokens'

/**
 * m2m-guard with a feature other issues added on the request path (issue 14:
 * each keeps the reused-token figures): `usage: true`, and OpenTelemetry
 * metrics (@m2m-guard/otel on the SDK). Measured on the reused token only.
 */
export const OURS_WITH = ['m2m-guard-usage', 'm2m-guard-otel'] as const

/**
 * Plain m2m-guard with a token cache twice the distinct-token pool, warmed
 * with every token: 10,000 clients each reusing its token, all cached. It runs
 * the distinct tokens (judged) and the reused token (informational: what a
 * cache holding 10,000 tokens costs in GC, apart from the guard's own cost).
 * Plain `m2m-guard` keeps the default cache and sees the reused token only, so
 * its cache holds what that workload puts there: one token.
 */
export const OURS_10K_CACHED = 'm2m-guard-10k-cached'

/**
 * Plain m2m-guard with a token cache half the size of the distinct-token
 * pool, so that every token is new to it (the worst case; informational).
 * Measured on the distinct tokens only.
 */
export const OURS_NEW_TOKENS = 'm2m-guard-new-tokens'

/**
 * Control rows on Express (reused token only, informational, not judged):
 * what Express charges any middleware, a synchronous no-op and an
 * asynchronous one that sets `req.auth` like a guard does.
 */
export const CONTROLS = ['bare-noop', 'bare-async-auth'] as const

/** The variants each framework is measured with: bare, ours (plain and with features), the controls, and the peers users pick for it. */
export const VARIANTS: Record<Framework, string[]> = {
  express: [
    'bare',
    ...CONTROLS,
    'm2m-guard',
    OURS_10K_CACHED,
    OURS_NEW_TOKENS,
    ...OURS_WITH,
    'express-oauth2-jwt-bearer',
    'express-jwt',
  ],
  koa: ['bare', 'm2m-guard', OURS_10K_CACHED, OURS_NEW_TOKENS, ...OURS_WITH, 'koa-jwt'],
  fastify: ['bare', 'm2m-guard', OURS_10K_CACHED, OURS_NEW_TOKENS, ...OURS_WITH, 'fastify-jwt'],
}

/** How the report names a variant: its id, or what the feature is. */
export function variantLabel(variant: string): string {
  if (variant === OURS_10K_CACHED) return 'm2m-guard, cache holding 10,000 tokens'
  if (variant === OURS_NEW_TOKENS) return 'm2m-guard, token cache half the pool (every token new)'
  if (variant === 'm2m-guard-usage') return 'm2m-guard, usage: true'
  if (variant === 'm2m-guard-otel') return 'm2m-guard, @m2m-guard/otel metrics (SDK with a reader)'
  if (variant === 'bare-noop') return 'control: bare + no-op middleware'
  if (variant === 'bare-async-auth') return 'control: bare + async no-op setting req.auth'
  return variant
}

/** Whether `variant` is m2m-guard: plain, with a feature, or with a cache sized for a distinct-token workload. */
export const isOurs = (variant: string) =>
  variant === 'm2m-guard' ||
  variant === OURS_10K_CACHED ||
  variant === OURS_NEW_TOKENS ||
  (OURS_WITH as readonly string[]).includes(variant)

/** Whether `variant` is a control row (a bare framework with a middleware doing nothing). */
export const isControl = (variant: string) => (CONTROLS as readonly string[]).includes(variant)

/** Whether `variant` is another library's middleware. */
export const isPeer = (variant: string) => variant !== 'bare' && !isOurs(variant) && !isControl(variant)

/**
 * Bare, the peers and the 10,000-cached server run both workloads; plain
 * m2m-guard, the variants with a feature and the controls the reused token
 * (plain m2m-guard's cache then holds that one token); the new-token variant
 * the distinct tokens.
 */
export function runsWorkload(variant: string, workload: HttpWorkload): boolean {
  if (variant === OURS_NEW_TOKENS) return workload === 'distinct-tokens'
  if (variant === 'bare' || variant === OURS_10K_CACHED || isPeer(variant)) return true
  return workload === 'reused-token'
}

/**
 * m2m-guard's token cache for each variant: the 10,000-cached server holds
 * every distinct token and the reused one (twice the pool: 10,000 clients
 * each reusing its token all stay cached); the new-token variant half the
 * pool, so that, cycling through the pool, each token has left the cache
 * before it comes back (every request a miss); the rest the default.
 */
export function tokenCacheFor(variant: string, distinctTokens: number): number | undefined {
  if (variant === OURS_10K_CACHED) return 2 * (distinctTokens + 1)
  if (variant === OURS_NEW_TOKENS) return Math.max(1, Math.floor(distinctTokens / 2))
  return undefined
}
