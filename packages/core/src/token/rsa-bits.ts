/**
 * The RSA modulus sizes m2m-guard accepts, on both signature paths: jose
 * refuses keys under 2048 bits; anything past 16384 bits only costs CPU.
 */
export const RSA_MIN_BITS = 2048
export const RSA_MAX_BITS = 16384
