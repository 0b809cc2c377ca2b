/**
 * The interop results file: per broker, what each feature did in the last run that reached
 * that broker, and the deviations from the MQTT 3.1.1 spec observed. The suite merges a run's
 * brokers into the file (a broker not installed locally keeps its previous entry);
 * bin/table.ts renders it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Columns of the table, in order. */
export const FEATURES = {
  qos0: "QoS 0",
  qos1: "QoS 1",
  qos2: "QoS 2",
  retained: "retained",
  will: "will",
  session: "persistent session",
  dupResend: "reconnect + DUP re-send",
  resubscribe: "resubscribe after session loss",
  large: "1 MiB payload",
  manySubs: "200 subscriptions",
  mqtt5: "MQTT 5",
  websocket: "WebSocket",
} as const;

export type Feature = keyof typeof FEATURES;

/** One cell: "yes", "no", or a short text (e.g. "granted 1"). */
export interface BrokerResult {
  version: string;
  features: Partial<Record<Feature, string>>;
  /** Observed deviations from the spec, one sentence each. */
  quirks: string[];
}

export interface Results {
  brokers: Record<string, BrokerResult>;
}

export const RESULTS_FILE = fileURLToPath(new URL("../results.json", import.meta.url));

export function readResults(file = RESULTS_FILE): Results {
  if (!existsSync(file)) return { brokers: {} };
  return JSON.parse(readFileSync(file, "utf8")) as Results;
}

/** Replaces the entries of the brokers in `run`, keeping the others. */
export function mergeResults(run: Record<string, BrokerResult>, file = RESULTS_FILE): void {
  const all = readResults(file);
  for (const [name, result] of Object.entries(run)) all.brokers[name] = result;
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}
