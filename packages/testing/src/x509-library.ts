/**
 * @peculiar/x509, loaded on first use. It needs a global Reflect metadata polyfill, which is
 * installed only then, so importing @m2m-guard/testing without certificates changes no global.
 */
type X509Library = typeof import('@peculiar/x509')

let loading: Promise<X509Library> | undefined

/**
 * The X.509 library, with its polyfill in place.
 *
 * @example
 * ```ts
 * const { Name } = await x509Library()
 * ```
 */
export function x509Library(): Promise<X509Library> {
  loading ??= import('reflect-metadata').then(() => import('@peculiar/x509'))
  return loading
}
