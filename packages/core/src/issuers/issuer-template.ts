/**
 * `{tenantid}` issuers, as Microsoft Entra's multi-tenant metadata writes
 * them (`https://login.microsoftonline.com/{tenantid}/v2.0`): one profile for
 * the tokens of many tenants, each token naming its tenant in its `iss`.
 */

export const TENANT_PLACEHOLDER = '{tenantid}'

// Entra tenant ids are GUIDs; nothing else may stand in the placeholder, so an
// `iss` cannot smuggle a path or a host into the part the template leaves open.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for a GUID such as Entra tenant ids. */
export function isGuid(value: string): boolean {
  return GUID.test(value)
}

/** An issuer with one `{tenantid}` placeholder. */
export interface IssuerTemplate {
  /** As configured. */
  readonly template: string
  readonly prefix: string
  readonly suffix: string
}

/** True if `issuer` holds a `{…}` placeholder. */
export function isTemplate(issuer: string): boolean {
  return issuer.includes('{') || issuer.includes('}')
}

/**
 * Parses a templated issuer, or returns why it is not one m2m-guard can use:
 * exactly one `{tenantid}`, and no other braces.
 */
export function parseTemplate(template: string): IssuerTemplate | string {
  const at = template.indexOf(TENANT_PLACEHOLDER)
  if (at < 0) return `has braces but no ${TENANT_PLACEHOLDER} placeholder (the only one supported)`
  const prefix = template.slice(0, at)
  const suffix = template.slice(at + TENANT_PLACEHOLDER.length)
  if (isTemplate(prefix) || isTemplate(suffix)) {
    return `must hold exactly one ${TENANT_PLACEHOLDER} placeholder and no other braces`
  }
  return { template, prefix, suffix }
}

/** The tenant `iss` names through `template`, or undefined if it does not fit. */
export function tenantOf(template: IssuerTemplate, iss: string): string | undefined {
  if (iss.length <= template.prefix.length + template.suffix.length) return undefined
  if (!iss.startsWith(template.prefix) || !iss.endsWith(template.suffix)) return undefined
  const tenant = iss.slice(template.prefix.length, iss.length - template.suffix.length)
  return isGuid(tenant) ? tenant : undefined
}

/** `template` with its placeholder replaced by `tenant`. */
export function withTenant(template: string, tenant: string): string {
  return template.replaceAll(TENANT_PLACEHOLDER, tenant)
}
