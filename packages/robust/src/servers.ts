/**
 * Design: the `servers` option — a list of brokers (cluster nodes) tried in turn. This file
 * parses the list once (refusing what it cannot dial) and owns the rotation state: which
 * server the next dial goes to and which one the client last reached. The client dials
 * through {@link ServerRotation.transport}, which always opens the currently selected
 * server, and runs each connect as one round over the list with {@link ServerRotation.round}.
 * A round starts after the server last connected to, so a node that just died is tried last
 * and a healthy one first; the first connect starts at the first entry.
 */
import {
  InvalidArgumentError,
  type MQTTClientOptions,
  parseServer,
  type ServerTarget,
  serverTransport,
  type TransportFactory,
} from "@umqtt/simple";
import type { MQTTClientOptions as RobustOptions } from "./options.js";

/** One entry of `servers`, parsed. */
export type Server = ServerTarget;

// [scheme://]host[:port][/] with host a name, an IPv4 address or a bracketed IPv6 address.
const ENTRY = /^(?:(mqtts?):\/\/)?(\[[0-9a-f:.]+\]|[^\s/:[\]@?#]+)(?::(\d{1,5}))?\/?$/i;

function refuse(rule: string): never {
  throw new InvalidArgumentError(`MQTTClient(options.servers): ${rule}`);
}

/**
 * Parses `servers`: `host`, `host:port`, `[v6]:port`, or a server URL as `server` takes it
 * (`mqtt://`, `mqtts://`, `ws://…/path`, `wss://…/path`). Entries without a scheme follow the
 * `ssl` option; a URL's scheme decides for itself. The port defaults to `port` when given, else
 * the scheme's (1883, 8883 with TLS).
 */
export function parseServers(list: unknown, ssl: boolean, port: number): Server[] {
  if (!Array.isArray(list) || list.length === 0) refuse("must be a non-empty array");
  return list.map((entry: unknown, i) => {
    if (typeof entry === "string" && /^wss?:\/\//i.test(entry)) {
      try {
        return parseServer(entry, 0, undefined, false);
      } catch (err) {
        return refuse(`entry ${i}: ${(err as Error).message}`);
      }
    }
    const m = typeof entry === "string" ? ENTRY.exec(entry) : null;
    const p = m && (m[3] === undefined ? 0 : Number(m[3]));
    if (!m || p === null || p > 65535 || (p === 0 && m[3] !== undefined)) {
      refuse(
        `entry ${i} must be "host:port" or a mqtt://, mqtts://, ws:// or wss:// URL (port 1–65535), got ${JSON.stringify(entry)}`,
      );
    }
    const tls = m[1] ? m[1].toLowerCase() === "mqtts" : ssl;
    return {
      webSocket: false,
      tls,
      host: (m[2] as string).replace(/^\[(.*)\]$/, "$1"),
      port: p || port || (tls ? 8883 : 1883),
      url: "",
    };
  });
}

/** `host:port` (`[v6]:port`), as `log()` reports the server connected to. */
export function formatServer(server: Server): string {
  if (server.url) return server.url;
  return server.host.includes(":")
    ? `[${server.host}]:${server.port}`
    : `${server.host}:${server.port}`;
}

/** The rotation over the parsed servers: the selected one, and where the next round starts. */
export class ServerRotation {
  /** The server the next dial opens. */
  current: Server;
  private start = 0;

  constructor(
    readonly servers: readonly Server[],
    private readonly options: Pick<MQTTClientOptions, "ssl" | "sslParams" | "webSocket">,
  ) {
    this.current = servers[0] as Server;
  }

  /** The transport factory for the simple client: it opens {@link current}. */
  transport(): TransportFactory {
    // One factory per server, built once: each checks what its runtime can do.
    const factories = this.servers.map((server) => serverTransport(server, this.options));
    return (events, signal) => factories[this.servers.indexOf(this.current)]!(events, signal);
  }

  /**
   * `connect()` through the list: one {@link round}, logging each server that failed (when
   * `next` lets the round go on) and the one reached, as `connected to host:port`.
   */
  async connect<T>(
    attempt: () => Promise<T>,
    log: (what: unknown) => void,
    next: (err: unknown) => boolean,
  ): Promise<T> {
    const result = await this.round(attempt, (err) => {
      const go = next(err);
      if (go) log(err);
      return go;
    });
    log(`connected to ${formatServer(this.current)}`);
    return result;
  }

  /**
   * One round: runs `attempt` with each server selected in turn, from the one after the last
   * server connected to, until one succeeds (the next round then starts after it). A failure
   * that `next(err)` does not accept ends the round at once; `next` also reports the ones it
   * accepts. The last server's failure rejects the round.
   */
  async round<T>(attempt: () => Promise<T>, next: (err: unknown) => boolean): Promise<T> {
    const n = this.servers.length;
    for (let i = 0; ; i++) {
      const at = (this.start + i) % n;
      this.current = this.servers[at] as Server;
      try {
        const result = await attempt();
        this.start = (at + 1) % n;
        return result;
      } catch (err) {
        if (i === n - 1 || !next(err)) throw err;
      }
    }
  }
}

/** The servers option parsed, or undefined without it. */
export function serverRotation(options: RobustOptions): ServerRotation | undefined {
  if (options?.servers === undefined) return undefined;
  if (options.transport !== undefined) {
    refuse("cannot be combined with options.transport");
  }
  const ssl = options.ssl !== undefined && options.ssl !== false;
  const port = typeof options.port === "number" ? options.port : 0;
  return new ServerRotation(parseServers(options.servers, ssl, port), options);
}
