/**
 * The HttpException a refused request ends in. Nest's exception layer (and
 * any filter the app adds) sees an ordinary HttpException with the RFC 6750
 * status and JSON body; the challenge headers are already on the response.
 */
import type { AuthError, AuthErrorBody } from '@m2m-guard/core'
import { HttpException } from '@nestjs/common'

/**
 * Thrown by the guard for every refusal: 400, 401, 403 or 503, body
 * `{ error, error_description }`. `cause` is core's {@link AuthError}, with
 * its stable `reason` for logs and metrics.
 *
 * @example
 * @Catch(M2mAuthException)
 * export class AuditRefusals implements ExceptionFilter {
 *   catch(exception: M2mAuthException, host: ArgumentsHost) {
 *     audit.log(exception.authError.reason)
 *     // Headers are set; answer the body as you like, or rethrow to Nest's default.
 *   }
 * }
 */
export class M2mAuthException extends HttpException {
  /** Core's error, with `status`, `headers`, `reason` and `description`. */
  readonly authError: AuthError

  constructor(authError: AuthError) {
    const body: AuthErrorBody = authError.body
    super(body, authError.status, { cause: authError, description: authError.description })
    this.authError = authError
  }
}
