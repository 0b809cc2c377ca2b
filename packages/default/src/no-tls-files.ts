/**
 * What `#tls-files` resolves to outside Node (and Bun and Deno, which resolve the `node`
 * condition): reading certificate files needs a file system, so a browser bundle of this
 * package holds no `node:fs`, `node:tls` or `node:crypto`.
 */
import { InvalidArgumentError } from "@umqtt/robust";

/** Refuses: TLS from certificate files needs Node. */
export function tlsOptions(): never {
  throw new InvalidArgumentError(
    "MQTTClient(options.sslParams): TLS from certificate files needs Node (or Bun or Deno); with wss:// a browser uses its own trust store",
  );
}
