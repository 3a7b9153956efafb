import { auth0Flavor } from './auth0.js'
import { cognitoFlavor } from './cognito.js'
import { entraFlavor } from './entra.js'
import { UUID } from './ids.js'
import { keycloakFlavor } from './keycloak.js'
import { oktaFlavor } from './okta.js'
import { pingoneFlavor } from './pingone.js'
import type { FlavorName, FlavorShape } from './shape.js'

/** What `tenant` means for a flavor, its default and its form. */
interface TenantRule {
  readonly meaning: string
  readonly fallback: string
  readonly pattern: RegExp
  readonly form: string
}

interface FlavorEntry {
  readonly tenant: TenantRule | undefined
  readonly shape: (tenant: string) => FlavorShape
}

const GUID: Pick<TenantRule, 'pattern' | 'form'> = { pattern: UUID, form: 'a GUID' }

// The one table of provider shapes: each row names its tenant and builds its shape.
const FLAVORS: Record<FlavorName, FlavorEntry> = {
  auth0: { tenant: undefined, shape: () => auth0Flavor() },
  okta: {
    tenant: {
      meaning: 'custom authorization server id',
      fallback: 'default',
      pattern: /^[A-Za-z0-9]+$/,
      form: 'letters and digits, e.g. "default" or "aus1a2b3c4EXAMPLE"',
    },
    shape: oktaFlavor,
  },
  entra: {
    tenant: { meaning: 'tenant id', fallback: '8eaef023-2b34-4da1-9baa-8bc8c9d6a490', ...GUID },
    shape: (tenant) => entraFlavor(tenant, '2.0'),
  },
  'entra-v1': {
    tenant: { meaning: 'tenant id', fallback: '8eaef023-2b34-4da1-9baa-8bc8c9d6a490', ...GUID },
    shape: (tenant) => entraFlavor(tenant, '1.0'),
  },
  cognito: {
    tenant: {
      meaning: 'user pool id',
      fallback: 'us-east-1_M2mGuard1',
      pattern: /^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$/,
      form: '{region}_{id}, e.g. "eu-west-1_AbC123"',
    },
    shape: cognitoFlavor,
  },
  keycloak: {
    tenant: {
      meaning: 'realm',
      fallback: 'm2m-guard',
      pattern: /^[A-Za-z0-9._~-]+$/,
      form: 'a realm name of letters, digits, ".", "_", "~" or "-"',
    },
    shape: keycloakFlavor,
  },
  pingone: {
    tenant: { meaning: 'environment id', fallback: '2f4b2a52-8d5f-4e0c-9c1e-6a3b7d9e0f11', ...GUID },
    shape: pingoneFlavor,
  },
}

/**
 * Every flavor name, in the order the docs list them.
 *
 * @example
 * ```ts
 * for (const flavor of FLAVOR_NAMES) servers.push(await createAuthServer({ flavor }))
 * ```
 */
export const FLAVOR_NAMES = Object.keys(FLAVORS) as FlavorName[]

/**
 * The shape for the `flavor` and `tenant` options, checked: a TypeError names the option
 * that is wrong. Without a flavor, undefined (the server's own RFC 9068 shape).
 *
 * @example
 * ```ts
 * resolveFlavor('keycloak', 'acme', '')?.layout.issuerPath // '/realms/acme'
 * ```
 */
export function resolveFlavor(
  flavor: unknown,
  tenant: unknown,
  issuerPath: unknown,
): FlavorShape | undefined {
  if (flavor === undefined) {
    if (tenant !== undefined) throw new TypeError('"tenant" option needs a "flavor"')
    return undefined
  }
  if (typeof flavor !== 'string' || !Object.hasOwn(FLAVORS, flavor)) {
    throw new TypeError(`"flavor" option must be one of ${FLAVOR_NAMES.join(', ')}`)
  }
  const entry = FLAVORS[flavor as FlavorName]
  if (issuerPath !== undefined && issuerPath !== '') {
    throw new TypeError(
      `"issuerPath" option cannot be combined with "flavor": ${flavor} has its own issuer path`,
    )
  }
  if (entry.tenant === undefined) {
    if (tenant !== undefined) {
      throw new TypeError(
        `"tenant" option: the ${flavor} flavor has none (its issuer is the server's origin)`,
      )
    }
    return entry.shape('')
  }
  const rule = entry.tenant
  if (tenant !== undefined && (typeof tenant !== 'string' || !rule.pattern.test(tenant))) {
    throw new TypeError(`"tenant" option (the ${flavor} ${rule.meaning}) must be ${rule.form}`)
  }
  return entry.shape((tenant as string | undefined) ?? rule.fallback)
}
