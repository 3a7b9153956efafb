/**
 * The route adapters serve RFC 9728 metadata on: its path (the well-known
 * URL's, so the same function decides the challenge's `resource_metadata`
 * and the route), and the document, built per request because routes may
 * declare requirements (and so scopes) after the route is set up.
 */
import { type ProtectedResourceMetadata, protectedResourceMetadataUrl } from '../resource-metadata.js'
import type { Verifier } from '../verifier.js'

/** Where and what an adapter serves. */
export interface MetadataRoute {
  /** The path of the well-known URL: `/.well-known/oauth-protected-resource/v1`. */
  readonly path: string
  /** The document, as of now. */
  document(): ProtectedResourceMetadata
}

/**
 * The metadata route of `verifier`, or undefined when its `resourceMetadata`
 * option is not set (or the verifier predates it).
 *
 * @example
 * const route = resourceMetadataRoute(verifier)
 * if (route !== undefined) app.get(route.path, (req, res) => res.json(route.document()))
 */
export function resourceMetadataRoute(verifier: Verifier): MetadataRoute | undefined {
  if (typeof (verifier as Partial<Verifier>).resourceMetadata !== 'function') return undefined
  const first = verifier.resourceMetadata()
  if (first === undefined) return undefined
  return {
    path: new URL(protectedResourceMetadataUrl(first.resource)).pathname,
    document: () => verifier.resourceMetadata() as ProtectedResourceMetadata,
  }
}

/**
 * {@link resourceMetadataRoute}, for `guard.metadata()`: throws a TypeError
 * at start-up when there is nothing to serve.
 *
 * @example
 * metadata() { const route = requiredMetadataRoute(verifier); return (req, res, next) => … }
 */
export function requiredMetadataRoute(verifier: Verifier): MetadataRoute {
  const route = resourceMetadataRoute(verifier)
  if (route === undefined) {
    throw new TypeError(
      'guard.metadata() needs the "resourceMetadata" option ({ resource: "https://…" }) on the verifier: there is no metadata to serve',
    )
  }
  return route
}
