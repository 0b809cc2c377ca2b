import { BIN, checkQos, type Fields, field, reading, STR, TOPIC, u8, u16 } from "./cursor.js";
import { CodecErrorCode, fail } from "./errors.js";
import { props } from "./properties.js";

/**
 * The CONNECT body of protocol level `level` (4: MQTT 3.1.1, 5: MQTT 5.0) over the cursor. One
 * function for both: MQTT 5 adds the property blocks and drops two 3.1.1 rules.
 */
export function connect(p: Fields, level: number): Fields {
  const v5 = level === 5;
  // [MQTT-3.1.2-1/2] protocol name "MQTT", level 4 (MQTT 5: version 5, 3.1.2.2)
  if (field("MQTT", STR, "protocol name") !== "MQTT" || u8(level) !== level)
    fail(CodecErrorCode.BAD_PROTOCOL, `protocol must be "MQTT" level ${level}`);
  const { will, username, password } = p;
  const f = u8(
    reading
      ? 0
      : (p.cleanSession ? 2 : 0) |
          (will ? 4 | (checkQos(will.qos, "will qos") << 3) | (will.retain ? 0x20 : 0) : 0) |
          (username === undefined ? 0 : 0x80) |
          (password === undefined ? 0 : 0x40),
  );
  const badFlags = (why: string) => fail(CodecErrorCode.BAD_CONNECT_FLAGS, why);
  // [MQTT-3.1.2-3] reserved flag bit
  if (f & 1) badFlags("reserved CONNECT flag set");
  const willQos = (f >> 3) & 3;
  // [MQTT-3.1.2-14] will QoS 3; [MQTT-3.1.2-11/13/15] no will ⇒ will QoS and retain 0
  if (f & 4) checkQos(willQos, "will qos");
  else if (f & 0x38) badFlags("will QoS/retain without will flag");
  // [MQTT-3.1.2-22] a password only with a user name (MQTT 5 allows it: 3.1.2.9)
  if ((f & 0xc0) === 0x40 && !v5) badFlags("password requires a username");
  const out: Fields = { type: "connect", clientId: "", cleanSession: (f & 2) !== 0 };
  out.keepalive = u16(p.keepalive, "keepalive");
  if (v5) {
    const q = props(p.properties, 1);
    if (q) out.properties = q;
  }
  // [MQTT-3.1.3-1] order: client id, (will properties,) will topic, will message, user name, password
  out.clientId = field(p.clientId, STR, "clientId");
  // [MQTT-3.1.3-7] a zero-length client id needs a clean session (MQTT 5 drops the rule: 3.1.3.1)
  if (out.clientId.length === 0 && !out.cleanSession && !v5)
    fail(CodecErrorCode.BAD_CLIENT_ID, "empty clientId needs cleanSession");
  // [MQTT-3.1.2-9] will flag ⇒ will topic and message; [MQTT-3.1.2-18..21] user, password
  if (f & 4) {
    const wp = v5 && props(will?.properties, 0);
    out.will = {
      topic: field(will?.topic, TOPIC, "will topic"),
      payload: field(will?.payload, BIN, "will payload"),
      qos: willQos,
      retain: (f & 0x20) !== 0,
    };
    if (wp) out.will.properties = wp;
  }
  if (f & 0x80) out.username = field(username, STR, "username");
  if (f & 0x40) out.password = field(password, BIN, "password");
  return out;
}
