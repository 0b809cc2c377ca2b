/**
 * Design: mosquitto's dynamic security plugin, for tests that need the broker to refuse
 * (SUBACK 0x87) or to kick a client (DISCONNECT 0x98, Administrative action). mosquitto's
 * `acl_file` cannot do the first: it grants every SUBSCRIBE and only filters delivery. The
 * plugin ships with Debian's mosquitto; its config is made by `mosquitto_ctrl dynsec init`
 * (so the password hash is mosquitto's own), then extended with a user and a role.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { mosquittoPath } from "./mosquitto.ts";

const LIB_DIRS = ["/usr/lib", "/usr/local/lib", "/usr/lib64"];
const PLUGIN = "mosquitto_dynamic_security.so";

/** Absolute path of the dynamic security plugin (also under multiarch dirs), or null. */
export function dynsecPluginPath(): string | null {
  for (const dir of LIB_DIRS) {
    const direct = path.join(dir, PLUGIN);
    if (existsSync(direct)) return direct;
    let subdirs: string[] = [];
    try {
      subdirs = readdirSync(dir);
    } catch {
      continue;
    }
    for (const sub of subdirs) {
      const file = path.join(dir, sub, PLUGIN);
      if (existsSync(file)) return file;
    }
  }
  return null;
}

/** Options for dynsecConfig(). */
export interface DynsecOptions {
  /** A fresh directory the plugin's JSON config is written to (mosquitto rewrites it). */
  dir: string;
  /** Subscribe patterns refused for every client but the admin (`subscribePattern`, deny). */
  denySubscribe?: string[];
  /** Topics whose PUBLISH is refused (`publishClientSend`, deny: PUBACK/PUBREC 0x87). */
  denyPublish?: string[];
  /** Unsubscribe patterns refused (`unsubscribePattern`, deny: UNSUBACK 0x87). */
  denyUnsubscribe?: string[];
}

/** What to pass to startMosquitto and the credentials it knows. */
export interface Dynsec {
  /** Lines for startMosquitto's `extraConfig`. */
  extraConfig: string;
  /** May publish to `$CONTROL/dynamic-security/v1` (e.g. `disableClient`). */
  admin: { username: string; password: string };
  /** A normal user, with the deny patterns; anonymous clients get the same role. */
  user: { username: string; password: string };
}

/**
 * Writes a dynamic security config. Anonymous clients stay allowed (as in every other
 * testkit broker) and get the same role as `user`.
 *
 * @example
 * const sec = dynsecConfig({ dir, denySubscribe: ["denied/#"] });
 * const m = await startMosquitto({ extraConfig: sec.extraConfig });
 */
export function dynsecConfig(options: DynsecOptions): Dynsec {
  const plugin = dynsecPluginPath();
  if (!plugin) throw new Error(`mosquitto's ${PLUGIN} was not found (Debian package mosquitto)`);
  const bin = mosquittoPath();
  const ctrl = bin ? path.join(path.dirname(bin), "..", "bin", "mosquitto_ctrl") : "";
  const tool = existsSync(ctrl) ? ctrl : "mosquitto_ctrl";
  const file = path.join(options.dir, "dynamic-security.json");
  const admin = { username: "admin", password: "admin-secret" };
  const user = { username: "user", password: "admin-secret" };
  execFileSync(tool, ["dynsec", "init", file, admin.username, admin.password], {
    stdio: "ignore",
  });
  const json = JSON.parse(readFileSync(file, "utf8")) as {
    clients: { username: string; roles: { rolename: string }[] }[];
    roles: { rolename: string; acls: unknown[] }[];
    groups?: { groupname: string; roles: { rolename: string }[] }[];
    defaultACLAccess?: Record<string, boolean>;
    anonymousGroup?: string;
  };
  const adminEntry = json.clients.find((c) => c.username === admin.username);
  if (!adminEntry) throw new Error("mosquitto_ctrl dynsec init wrote no admin client");
  // Same password as the admin: the hash is copied, so no hashing is done here.
  json.clients.push({ ...adminEntry, username: user.username, roles: [{ rolename: "tested" }] });
  json.roles.push({
    rolename: "tested",
    acls: [
      ...(options.denySubscribe ?? []).map((topic) => ["subscribePattern", topic]),
      ...(options.denyPublish ?? []).map((topic) => ["publishClientSend", topic]),
      ...(options.denyUnsubscribe ?? []).map((topic) => ["unsubscribePattern", topic]),
    ].map(([acltype, topic]) => ({ acltype, topic, allow: false, priority: 10 })),
  });
  json.groups = [
    ...(json.groups ?? []),
    { groupname: "anonymous", roles: [{ rolename: "tested" }] },
  ];
  json.anonymousGroup = "anonymous";
  json.defaultACLAccess = {
    publishClientSend: true,
    publishClientReceive: true,
    subscribe: true,
    unsubscribe: true,
  };
  writeFileSync(file, JSON.stringify(json, null, 2), { mode: 0o666 });
  return {
    extraConfig: [`plugin ${plugin}`, `plugin_opt_config_file ${file}`].join("\n"),
    admin,
    user,
  };
}
