/**
 * The demo's last table: `verifier.usage()` after the calls, one row per
 * client, and a sentence for each scope a client holds but never needed.
 */
import type { ClientUsage, UsageReport } from '@m2m-guard/core'

const HEADINGS = ['CLIENT', 'ISSUER', 'CALLS', 'GRANTED', 'NEVER NEEDED'] as const

/**
 * Lines of the least-privilege table. `issuerName` turns an issuer URL into
 * a short name (the demo's ports change from run to run).
 *
 * @example
 * formatLeastPrivilege(api.verifier.usage(), (issuer) => (issuer === world.issuer.issuer ? 'local' : 'partner'))
 */
export function formatLeastPrivilege(report: UsageReport, issuerName: (issuer: string) => string): string[] {
  // By short name: the report's order follows the issuer URLs, whose ports change from run to run.
  const clients = [...report.clients].sort(
    (a, b) =>
      issuerName(a.issuer).localeCompare(issuerName(b.issuer)) ||
      (a.clientId ?? '').localeCompare(b.clientId ?? ''),
  )
  const rows = clients.map((client) => [
    client.clientId ?? '(none)',
    issuerName(client.issuer),
    String(client.requests),
    held(client).join(' '),
    client.unusedScopes.length === 0 ? '-' : client.unusedScopes.join(' '),
  ])
  const widths = HEADINGS.map((heading, i) =>
    Math.max(heading.length, ...rows.map((row) => row[i]?.length ?? 0)),
  )
  const line = (cells: readonly string[]) =>
    `    ${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`
  const findings = clients
    .filter((client) => client.unusedScopes.length > 0)
    .map(
      (client) =>
        `  ${client.clientId ?? '(no client id)'} holds ${held(client).join(' and ')}; it never needed ${client.unusedScopes.join(' and ')}.`,
    )
  return [
    '  least privilege: verifier.usage() of the Express API after these calls (the scopes that',
    '  satisfied a route, per client; refused calls count for nothing)',
    '',
    line(HEADINGS),
    ...rows.map(line),
    '',
    ...(findings.length === 0 ? ['  Every client needed every scope it holds.'] : findings),
  ]
}

/** The granted scopes, those it needed first. */
function held(client: ClientUsage): string[] {
  return [...client.usedScopes, ...client.unusedScopes]
}
