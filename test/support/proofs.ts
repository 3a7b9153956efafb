/**
 * DPoP proof keys and throwaway certificates for the cross-package tests:
 * the same helpers core's own tests use (jose-signed proofs; certificates
 * made by the openssl command line).
 */

export { makeCertificate, type TestCertificate } from '../../packages/core/test/helpers/certificates.js'
export { createDpopKey, type DpopKey } from '../../packages/core/test/helpers/dpop.js'
