/** `@Auth()`: the verified token of the request, as a handler parameter. */
import type { AuthResult } from '@m2m-guard/core'
import { createParamDecorator, type ExecutionContext } from '@nestjs/common'

/**
 * Injects the request's {@link AuthResult}: client id, granted scopes,
 * verified claims. On a `@Public()` route there is none, and a
 * handler that asks for it fails: that is a bug in the route, not a request
 * to answer.
 *
 * @example
 * @RequireScopes('orders:read')
 * @Get('orders')
 * list(@Auth() auth: AuthResult) {
 *   return this.orders.visibleTo(auth.clientId)
 * }
 */
export const Auth: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthResult => {
    const auth = context.switchToHttp().getRequest<{ auth?: AuthResult }>().auth
    if (auth === undefined) {
      throw new Error('@Auth() is used on a route that m2m-guard does not authenticate (is it @Public()?)')
    }
    return auth
  },
)
