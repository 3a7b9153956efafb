import { describe, expect, it } from 'vitest'
import { withResponseHeader } from '../../src/adapter.js'

describe('withResponseHeader', () => {
  it('sets the header on the response itself when its headers take it', async () => {
    const response = new Response('ok', { status: 201, headers: { 'content-type': 'text/plain' } })
    expect(withResponseHeader(response, 'DPoP-Nonce', 'n1')).toBe(response)
    expect(response.headers.get('dpop-nonce')).toBe('n1')
  })

  it('answers a copy with the header when the headers are immutable, status, body and headers kept', async () => {
    const redirect = Response.redirect('https://orders.example/elsewhere', 302)
    const answer = withResponseHeader(redirect, 'DPoP-Nonce', 'n2')
    expect(answer).not.toBe(redirect)
    expect(answer.status).toBe(302)
    expect(answer.headers.get('location')).toBe('https://orders.example/elsewhere')
    expect(answer.headers.get('dpop-nonce')).toBe('n2')
  })
})
