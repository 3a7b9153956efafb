export type RuntimeName = 'bun' | 'deno' | 'workerd'
/** The path of each runtime's binary, from the workspace's npm packages. */
export declare const BINARIES: Record<RuntimeName, () => string>
