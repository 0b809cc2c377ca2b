/**
 * The refusal check, beside the smoke suite: a TLS server (mqtts:// or wss://) whose
 * certificate the runtime does not trust must be refused — connect() rejects, nothing is
 * connected. Reports `{ step: "refused", ok, ms, detail | error }`; never rejects.
 */
import { MQTTClient } from "@umqtt/simple";

/**
 * @param {{ server: string, options?: object, prefix: string, report?: (step: object) => void }} config
 */
export async function runRefusal({ server, options = {}, prefix, report = () => {} }) {
  const started = Date.now();
  const client = new MQTTClient(`${prefix.replaceAll("/", "-")}-untrusting`, server, {
    ...options,
    connectTimeout: 5000,
  });
  let result;
  try {
    await client.connect();
    result = { step: "refused", ok: false, error: "connect() succeeded to an untrusted server" };
  } catch (err) {
    const ok = !client.isConnected();
    const error = `${err?.name} [${err?.code}]: ${err?.message}`;
    result = { step: "refused", ok, detail: { error } };
  }
  result.ms = Date.now() - started;
  report(result);
  await client.disconnect().catch(() => {});
  return { ok: result.ok, steps: [result] };
}
