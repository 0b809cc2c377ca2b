/*
 * Design: a client keeps each QoS > 0 PUBLISH it sends as its encoded frame, so that a re-send
 * costs no re-encoding. These edit such a frame in place: the packet id once it has a window
 * slot, the DUP flag on re-delivery. They trust the frame to be one `encodePublish` made.
 */

/** Offset of the packet id in an encoded QoS > 0 PUBLISH: after the fixed header and the topic. */
function pidOffset(frame: Uint8Array): number {
  let i = 1;
  while (frame[i++]! & 0x80);
  return i + 2 + ((frame[i]! << 8) | frame[i + 1]!);
}

/**
 * Writes `pid` into an encoded QoS 1 or 2 PUBLISH (in place) and returns the frame.
 *
 * @example
 * const frame = encodePublish("t", "x", 1, false, false, 1); // placeholder id
 * socket.write(setPacketId(frame, session.allocate()));
 */
export function setPacketId(frame: Uint8Array, pid: number): Uint8Array {
  const at = pidOffset(frame);
  frame[at] = pid >> 8;
  frame[at + 1] = pid & 0xff;
  return frame;
}

/**
 * Sets or clears DUP on an encoded QoS 1 or 2 PUBLISH (in place) [MQTT-3.3.1-1] and returns it.
 *
 * @example
 * socket.write(setDup(unacked, true)); // re-delivery after a reconnect
 */
export function setDup(frame: Uint8Array, dup: boolean): Uint8Array {
  frame[0] = dup ? frame[0]! | 0x08 : frame[0]! & ~0x08;
  return frame;
}
