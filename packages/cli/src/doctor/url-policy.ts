/**
 * The URL rules core applies to metadata and key URLs, judged here so the
 * doctor can say which one a URL breaks: https anywhere, plain http only on
 * loopback unless allowed, redirects only within the origin (at most 3).
 */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

/**
 * True if `url`'s host is this machine.
 *
 * @example
 * isLoopback(new URL('http://127.0.0.1:4000')) // true
 */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname)
}

/**
 * The transport verdict for `url`: ok with a note, or the problem.
 *
 * @example
 * transportVerdict(new URL('http://idp.internal'), false).ok // false
 */
export function transportVerdict(
  url: URL,
  allowInsecureHttp: boolean,
): { ok: true; note: string } | { ok: false; problem: string; fix: string } {
  if (url.protocol === 'https:') return { ok: true, note: 'https' }
  if (url.protocol !== 'http:') {
    return { ok: false, problem: `${url.protocol} is not http(s)`, fix: 'use an https URL' }
  }
  if (isLoopback(url)) return { ok: true, note: 'plain http, accepted on loopback only' }
  if (allowInsecureHttp) return { ok: true, note: 'plain http, accepted because of --allow-insecure-http' }
  return {
    ok: false,
    problem: `plain http on ${url.host}: core refuses it (anyone on the path could swap the keys)`,
    fix: 'use https; only if the network path is trusted, set allowInsecureHttp: true (--allow-insecure-http)',
  }
}
