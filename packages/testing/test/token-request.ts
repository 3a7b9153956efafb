// Shared by the token endpoint tests: one POST to the token endpoint, answered as JSON.

/** A token endpoint answer: status, headers and the parsed JSON body. */
export interface TokenAnswer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

/** Credentials for HTTP Basic, form-urlencoded first as RFC 6749 §2.3.1 requires. */
export function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2)
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`
}

/** POSTs form parameters (or a raw body) to `url`. */
export async function postToken(
  url: string,
  params: Record<string, string | string[]> | string,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  let body: string
  if (typeof params === 'string') body = params
  else {
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(params)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, item)
    }
    body = form.toString()
  }
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }
}
