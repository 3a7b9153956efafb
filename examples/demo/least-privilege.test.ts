import { describe, expect, it } from 'vitest'
import { formatLeastPrivilege } from './least-privilege.js'

const row = (clientId: string, issuer: string, granted: string[], used: string[]) => ({
  issuer,
  clientId,
  requests: 2,
  grantedScopes: granted,
  usedScopes: used,
  unusedScopes: granted.filter((scope) => !used.includes(scope)),
  lastSeen: 0,
})
const names = (issuer: string) => (issuer.endsWith(':1') ? 'partner' : 'local')

describe('formatLeastPrivilege', () => {
  it('sorts by issuer name and client, and names every scope never needed', () => {
    const lines = formatLeastPrivilege(
      {
        enabled: true,
        maxClients: 10,
        clients: [
          row('app', 'http://x:1', ['a'], ['a']),
          row('zeta', 'http://x:2', ['read', 'write', 'export'], ['read']),
          row('alpha', 'http://x:2', ['read'], ['read']),
        ],
      },
      names,
    )
    expect(lines.slice(3)).toEqual([
      '    CLIENT  ISSUER   CALLS  GRANTED            NEVER NEEDED',
      '    alpha   local    2      read               -',
      '    zeta    local    2      read write export  write export',
      '    app     partner  2      a                  -',
      '',
      '  zeta holds read and write and export; it never needed write and export.',
    ])
  })

  it('says so when every client needed every scope', () => {
    const lines = formatLeastPrivilege(
      { enabled: true, maxClients: 10, clients: [row('app', 'http://x:2', ['a'], ['a'])] },
      names,
    )
    expect(lines.at(-1)).toBe('  Every client needed every scope it holds.')
  })
})
