import { decode, decodeBody } from "./decode.js";
import { decodeBody5 } from "./decode5.js";
import { CodecErrorCode, fail, type MqttCodecError } from "./errors.js";
import type { Packet } from "./packet-types.js";
import type { Packet5 } from "./packet-types5.js";
import { MAX_REMAINING_LENGTH, readVarint } from "./varint.js";

/*
 * Design: the Decoder owns only framing state. Whole packets inside a chunk are decoded in place
 * (views, no copy). The bytes of a packet that spans chunks are kept as a list of views and
 * concatenated once, when the last one arrives. A packet's size is checked against
 * maxPacketSize as soon as its header is complete, before anything of it is buffered.
 * It never does IO and never retries after an error.
 */

/** Options for {@link Decoder}. */
export interface DecoderOptions<V extends 4 | 5 = 4 | 5> {
  /** Largest accepted packet in bytes, fixed header included. Default 268,435,455 + 5. */
  maxPacketSize?: number;
  /** 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). */
  protocolVersion?: V;
}

/**
 * Streaming decoder: push chunks of any size (even 1 byte), get the packets they complete.
 * A packet within one chunk is decoded as views into that chunk, so chunks must not be
 * modified after they are pushed. After it throws, the decoder stays failed: every later
 * push throws the same error, and the connection should be closed.
 *
 * @example
 * const decoder = new Decoder({ maxPacketSize: 1 << 20 });
 * socket.on("data", (chunk) => { for (const packet of decoder.push(chunk)) handle(packet); });
 * const decoder5 = new Decoder({ protocolVersion: 5 }); // push() returns Packet5[]
 */
export class Decoder<V extends 4 | 5 = 4> {
  readonly #max: number;
  readonly #v5: boolean;
  /** Views of the incomplete packet's bytes seen so far. */
  #parts: Uint8Array[] = [];
  /** Bytes in #parts. */
  #have = 0;
  /** Size of the incomplete packet, or -1 while its header is incomplete; used while #have > 0. */
  #need = -1;
  /** A header split across chunks is gathered here (at most 5 bytes). */
  readonly #head = new Uint8Array(5);
  #failed: MqttCodecError | undefined;

  constructor(options?: DecoderOptions<V>) {
    const max = options?.maxPacketSize ?? MAX_REMAINING_LENGTH + 5;
    const v = options?.protocolVersion;
    if (v !== undefined && v !== 4 && v !== 5)
      fail(CodecErrorCode.INVALID_PACKET, "protocolVersion must be 4 or 5");
    this.#v5 = v === 5;
    // NaN or a non-number would silently switch the limit off.
    if (typeof max !== "number" || !(max > 0)) {
      fail(CodecErrorCode.INVALID_PACKET, "maxPacketSize must be a positive number of bytes");
    }
    this.#max = max;
  }

  /** Feeds `chunk`; returns the packets it completed, in order (often none). */
  push(chunk: Uint8Array): V extends 5 ? Packet5[] : Packet[] {
    if (this.#failed) throw this.#failed;
    try {
      return this.#push(chunk) as V extends 5 ? Packet5[] : Packet[];
    } catch (e) {
      this.#failed = e as MqttCodecError;
      throw e;
    }
  }

  /** Frame size from a {@link readVarint} result `h`, or -1 if incomplete; enforces the limit. */
  #size(h: number): number {
    if (h < 0) return -1;
    const size = 2 + (h & 3) + (h >>> 2);
    if (size > this.#max)
      fail(CodecErrorCode.PACKET_TOO_LARGE, `packet of ${size} bytes over maxPacketSize`);
    return size;
  }

  #push(chunk: Uint8Array): (Packet | Packet5)[] {
    const out: (Packet | Packet5)[] = [];
    const len = chunk.length;
    let pos = 0;
    if (this.#have > 0) {
      if (this.#need < 0) {
        // the pending header has at most 4 bytes: complete it from the chunk's first ones
        this.#head.set(chunk.subarray(0, 5 - this.#have), this.#have);
        this.#need = this.#size(readVarint(this.#head, 1, Math.min(5, this.#have + len)));
      }
      pos = this.#need < 0 ? len : Math.min(this.#need - this.#have, len);
      this.#parts.push(chunk.subarray(0, pos));
      this.#have += pos;
      if (this.#need < 0 || this.#have < this.#need) return out;
      const whole = new Uint8Array(this.#need);
      let at = 0;
      for (const part of this.#parts) {
        whole.set(part, at);
        at += part.length;
      }
      this.#parts = [];
      this.#have = 0;
      out.push(this.#v5 ? decode(whole, 5) : decode(whole));
    }
    while (pos < len) {
      const h = readVarint(chunk, pos + 1, len);
      const size = this.#size(h);
      if (size < 0 || pos + size > len) {
        // keep the tail for the next chunk; an incomplete header also goes to #head
        const tail = chunk.subarray(pos);
        this.#parts.push(tail);
        this.#have = tail.length;
        this.#need = size;
        if (size < 0) this.#head.set(tail);
        break;
      }
      const start = pos + 2 + (h & 3);
      out.push(
        this.#v5
          ? decodeBody5(chunk[pos], chunk, start, pos + size, h & 3)
          : decodeBody(chunk[pos], chunk, start, pos + size),
      );
      pos += size;
    }
    return out;
  }
}
