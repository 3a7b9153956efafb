/**
 * What `pnpm demo --serve` prints: where everything runs, the clients'
 * credentials, and curl commands to paste.
 */
import { PARTNER, type World } from './world.js'

/**
 * Lines that describe the running world, with ready-to-paste curl commands.
 *
 * @example
 * console.log(serveInstructions(world).join('\n'))
 */
export function serveInstructions(world: World): string[] {
  const { issuer, partner, partnerApp, apis, clients } = world
  const api = (framework: string) => apis.find((candidate) => candidate.framework === framework)?.url ?? ''
  const idWidth = Math.max(...Object.keys(clients).map((id) => id.length))
  const secretWidth = Math.max(...Object.values(clients).map((client) => client.clientSecret.length))
  // Client secrets here are base64url, so curl -u needs no extra encoding (RFC 6749 §2.3.1).
  const readToken = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`
  const tokenAs = (id: keyof typeof clients) =>
    `TOKEN=$(curl -s -u ${id}:${clients[id].clientSecret} -d grant_type=client_credentials ${issuer.tokenEndpoint} | ${readToken})`
  // Entra's client-credentials request: scope={resource}/.default.
  const partnerToken = `TOKEN=$(curl -s -u ${partnerApp.clientId}:${partnerApp.clientSecret} -d grant_type=client_credentials -d scope=api://${PARTNER.apiAppId}/.default ${partner.tokenEndpoint} | ${readToken})`
  const auth = '-H "Authorization: Bearer $TOKEN"'
  return [
    'The servers keep running until Ctrl-C.',
    '',
    `  issuer          ${issuer.issuer}`,
    `  metadata        ${issuer.metadataUrl}`,
    `  token endpoint  ${issuer.tokenEndpoint}   (client_secret_basic or client_secret_post)`,
    `  partner issuer  ${partner.issuer}   (Entra-shaped; token endpoint ${partner.tokenEndpoint})`,
    ...apis.map((running) => `  ${`${running.framework} API`.padEnd(14)}  ${running.url}`),
    '',
    '  clients',
    ...Object.values(clients).map(
      (client) =>
        `    ${client.clientId.padEnd(idWidth)}  secret ${client.clientSecret.padEnd(secretWidth)}  scopes ${client.scopes.join(' ')}`,
    ),
    `    partner app ${partnerApp.clientId}  secret ${partnerApp.clientSecret}  app roles ${partnerApp.scopes.join(' ')}`,
    '',
    '  Get a token as billing, then list and create orders on the Express API:',
    `    ${tokenAs('billing')}`,
    `    curl -i ${auth} ${api('express')}/orders`,
    `    curl -i ${auth} -H 'content-type: application/json' -d '{"item":"bolts","quantity":100}' ${api('express')}/orders`,
    '',
    '  The same token on Koa, and on the admin route of Fastify (403: billing is not ops-console):',
    `    curl -i ${auth} ${api('koa')}/orders/ord_1`,
    `    curl -i ${auth} -X DELETE ${api('fastify')}/orders/ord_1`,
    '',
    '  As ops-console, the admin route lets you in:',
    `    ${tokenAs('ops-console')}`,
    `    curl -i ${auth} -X DELETE ${api('fastify')}/orders/ord_1`,
    '',
    "  As the partner's app (an Entra-shaped token: azp, roles), the same route:",
    `    ${partnerToken}`,
    `    curl -i ${auth} ${api('koa')}/orders`,
    '',
    '  No token, and a broken one:',
    `    curl -i ${api('express')}/orders`,
    `    curl -i -H "Authorization: Bearer not.a.token" ${api('express')}/orders`,
  ]
}
