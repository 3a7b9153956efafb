/**
 * The route decorators and how the guard reads them back. Requirements are
 * kept as a list per class and per handler, appended by each decorator, so
 * that `@RequireScopes('a') @RequireAnyScope('b', 'c')` means both, just as
 * stacked `guard.require()` middlewares do in the other adapters.
 */
import { type Requirement, validateRequirement } from '@m2m-guard/core'

/** Metadata key set by {@link Public} on a class or handler. */
export const IS_PUBLIC_KEY = 'm2m-guard:public'
/** Metadata key under which the declared {@link Requirement}s of a class or handler are listed. */
export const REQUIREMENTS_KEY = 'm2m-guard:requirements'

/** A decorator for a controller class or one of its route handlers. */
export type ClassOrMethodDecorator = ClassDecorator & MethodDecorator

type Target = object

function decorator(apply: (holder: Target, where: string) => void): ClassOrMethodDecorator {
  return ((target: Target, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor === undefined) return apply(target, (target as { name?: string }).name ?? 'class')
    if (typeof descriptor.value !== 'function') {
      throw new TypeError(`m2m-guard decorators apply to classes and methods, not to ${String(key)}`)
    }
    apply(descriptor.value as Target, String(key))
  }) as ClassOrMethodDecorator
}

function requirementDecorator(name: string, requirement: Requirement): ClassOrMethodDecorator {
  // Validated when the class is defined: a malformed requirement stops start-up.
  try {
    validateRequirement(requirement)
  } catch (error) {
    throw new TypeError(`@${name}: ${(error as Error).message}`)
  }
  return decorator((holder, where) => {
    if (Reflect.getOwnMetadata(IS_PUBLIC_KEY, holder) === true) throw conflict(where)
    // Decorators apply bottom-up: prepending keeps the list in the order they are written.
    Reflect.defineMetadata(REQUIREMENTS_KEY, [requirement, ...ownRequirements(holder)], holder)
  })
}

function ownRequirements(holder: Target): readonly Requirement[] {
  return Reflect.getOwnMetadata(REQUIREMENTS_KEY, holder) ?? []
}

function conflict(where: string): TypeError {
  return new TypeError(`${where} is marked @Public() and also declares a requirement: choose one`)
}

function scopeList(name: string, scopes: readonly string[]): string[] {
  if (scopes.length === 0) throw new TypeError(`@${name}() needs at least one scope`)
  return [...scopes]
}

/**
 * Opens a route (or every route of a controller) to requests without a
 * token. Everything else needs one. A handler that declares a requirement
 * stays protected inside a `@Public()` controller.
 *
 * @example
 * @Public()
 * @Get('health')
 * health() { return { ok: true } }
 */
export function Public(): ClassOrMethodDecorator {
  return decorator((holder, where) => {
    if (Reflect.getOwnMetadata(REQUIREMENTS_KEY, holder) !== undefined) throw conflict(where)
    Reflect.defineMetadata(IS_PUBLIC_KEY, true, holder)
  })
}

/**
 * The token must grant every one of these scopes (403 `insufficient_scope`
 * otherwise).
 *
 * @example
 * @RequireScopes('orders:write')
 * @Post()
 * create(@Auth() auth: AuthResult) {}
 */
export function RequireScopes(...scopes: string[]): ClassOrMethodDecorator {
  return requirementDecorator('RequireScopes', { scopes: scopeList('RequireScopes', scopes) })
}

/**
 * The token must grant at least one of these scopes.
 *
 * @example
 * @RequireAnyScope('reports:read', 'reports:admin')
 * @Get('reports')
 * reports() {}
 */
export function RequireAnyScope(...scopes: string[]): ClassOrMethodDecorator {
  return requirementDecorator('RequireAnyScope', { anyScopes: scopeList('RequireAnyScope', scopes) })
}

/**
 * Only these clients (the token's `client_id` / `azp`) may call.
 *
 * @example
 * @AllowClients('ops-console')
 * @Controller('admin')
 * export class AdminController {}
 */
export function AllowClients(...clients: string[]): ClassOrMethodDecorator {
  return requirementDecorator('AllowClients', { clients: [...clients] })
}

/**
 * Only tokens from these issuers (with a verifier of several issuer
 * profiles). Each must be an issuer the verifier accepts, or start-up fails.
 *
 * @example
 * @AllowIssuers('https://login.microsoftonline.com/72f988bf-…/v2.0')
 * @Controller('internal')
 * export class InternalController {}
 */
export function AllowIssuers(...issuers: string[]): ClassOrMethodDecorator {
  return requirementDecorator('AllowIssuers', { issuers: [...issuers] })
}

/** What the guard needs to know about the route a request is for. */
export interface RoutePolicy {
  readonly isPublic: boolean
  /** Class-level requirements first, then the handler's; every one must hold. */
  readonly requirements: readonly Requirement[]
}

/**
 * Reads a route's policy from its controller class and handler.
 *
 * @example
 * const { isPublic, requirements } = routePolicy(context.getClass(), context.getHandler())
 */
export function routePolicy(controller: Target, handler: Target): RoutePolicy {
  // A controller class inherits its base classes' requirements, the base's first.
  const onClass: Requirement[] = []
  // Requirements of the classes derived from the one that defines the handler.
  let belowHandler = 0
  let definedAbove = true
  for (
    let cls: object | null = controller;
    cls !== null && cls !== Function.prototype;
    cls = Object.getPrototypeOf(cls)
  ) {
    const own = ownRequirements(cls)
    onClass.unshift(...own)
    if (definedAbove && definesMethod(cls, handler)) definedAbove = false
    if (definedAbove) belowHandler += own.length
  }
  const onHandler = ownRequirements(handler)
  // Across a class chain the stricter wins. A handler's @Public() opens it in its own class
  // (whatever that class requires), not in a derived controller that adds a requirement;
  // a controller's @Public(), own or inherited, opens only what nothing else protects.
  const isPublic =
    (Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true && belowHandler === 0) ||
    (Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true &&
      onClass.length === 0 &&
      onHandler.length === 0)
  return { isPublic, requirements: [...onClass, ...onHandler] }
}

/** Whether `cls` itself (not a base class) has `handler` as a method. */
function definesMethod(cls: object, handler: Target): boolean {
  const prototype = (cls as { prototype?: object }).prototype
  if (prototype === undefined) return false
  return Object.values(Object.getOwnPropertyDescriptors(prototype)).some(
    (descriptor) => descriptor.value === handler,
  )
}
