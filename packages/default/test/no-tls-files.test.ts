import { InvalidArgumentError } from "@umqtt/robust";
import { expect, test } from "vitest";
import { tlsOptions } from "../src/no-tls-files.js";

test("outside Node, TLS from certificate files is an InvalidArgumentError that says why", () => {
  expect(() => tlsOptions()).toThrow(InvalidArgumentError);
  expect(() => tlsOptions()).toThrow(
    /^MQTTClient\(options\.sslParams\): TLS from certificate files needs Node \(or Bun or Deno\)/,
  );
});
