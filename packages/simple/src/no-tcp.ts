/**
 * What `#tcp` resolves to outside Node (and Bun and Deno, which resolve the `node` condition):
 * no TCP transport, so a browser bundle holds no `node:net` or `node:tls`. tcp.ts turns the
 * absence into a typed error.
 */
export const socketTransport = undefined;
