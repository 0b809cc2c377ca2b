// Shared by the aedes (tls.test.ts) and mosquitto (integration/tls-mosquitto.test.ts) matrices.
import { expect } from "vitest";
import { ConnectionError, ErrorCode } from "../src/index.js";

/** Asserts a connect failure: a ConnectionError, with the TLS code on `cause` and in the message. */
export function expectTlsFailure(err: unknown, code: string): void {
  expect(err).toBeInstanceOf(ConnectionError);
  const e = err as ConnectionError & { cause?: { code?: string } };
  expect(e.code).toBe(ErrorCode.CONNECTION_CLOSED);
  expect(e.cause?.code).toBe(code);
  expect(e.message).toContain(code);
}
