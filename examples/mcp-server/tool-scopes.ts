/**
 * Per-tool scopes at the HTTP layer. An MCP tool call is a JSON-RPC
 * `tools/call` in the POST body, so this middleware reads the (already
 * parsed) body and applies the guard's requirement for each tool named in it.
 * A tool needing a scope the token lacks is then refused the way MCP's
 * authorization spec asks for: HTTP 403 `insufficient_scope` with the missing
 * scope in the challenge, before the MCP layer runs.
 */
import type { Guard, GuardMiddleware } from '@m2m-guard/express'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { TOOL_REQUIREMENTS, type ToolName } from './tools.js'

/**
 * Express middleware for the MCP endpoint, after `express.json()`: each tool
 * named by a `tools/call` in the body (one message or a batch) must be
 * allowed to the token. Tools not in the table pass (the MCP layer answers
 * "unknown tool").
 *
 * @example
 * app.post('/mcp', guard.require(), express.json(), requireToolScopes(guard), handleMcp)
 */
export function requireToolScopes(guard: Guard): RequestHandler {
  // Built once: the guard validates each requirement when it is declared.
  const perTool = new Map<string, GuardMiddleware>(
    Object.entries(TOOL_REQUIREMENTS).map(([tool, requirement]) => [tool, guard.require(requirement)]),
  )
  return (req, res, next) => {
    const middlewares = calledTools(req.body).flatMap((tool) => perTool.get(tool) ?? [])
    runInOrder(middlewares, req, res, next)
  }
}

/** The tool names of the `tools/call` requests in a JSON-RPC message or batch. */
function calledTools(body: unknown): ToolName[] {
  const messages = Array.isArray(body) ? body : [body]
  const tools: ToolName[] = []
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } }
    const name = method === 'tools/call' ? params?.name : undefined
    if (typeof name === 'string' && Object.hasOwn(TOOL_REQUIREMENTS, name)) tools.push(name as ToolName)
  }
  return tools
}

/** Runs guard middlewares one after the other; the first refusal answers and stops the chain. */
function runInOrder(middlewares: GuardMiddleware[], req: Request, res: Response, next: NextFunction): void {
  const [first, ...rest] = middlewares
  if (first === undefined) {
    next()
    return
  }
  first(req, res, (error?: unknown) => (error === undefined ? runInOrder(rest, req, res, next) : next(error)))
}
