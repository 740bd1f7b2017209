import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isLoopbackAddress, refusedOrigin } from "./request-origin";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("refusedOrigin", () => {
  it("lets non-browser clients (no Origin) through on a loopback Host", () => {
    expect(refusedOrigin(request({ host: "127.0.0.1:30569" }), true)).toBeUndefined();
    expect(refusedOrigin(request({ host: "localhost:1" }), true)).toBeUndefined();
    expect(refusedOrigin(request({ host: "[::1]:8080" }), true)).toBeUndefined();
  });

  it("refuses a non-loopback Host on a loopback server (DNS rebinding)", () => {
    expect(refusedOrigin(request({ host: "evil.example:30569" }), true)).toMatch(/not a loopback name/);
    expect(refusedOrigin(request({ host: "evil.example:30569" }), false)).toBeUndefined();
  });

  it("refuses cross-origin browser requests and accepts same-origin ones", () => {
    expect(refusedOrigin(request({ host: "127.0.0.1:30569", origin: "http://evil.example" }), true)).toMatch(
      /Cross-origin/,
    );
    expect(refusedOrigin(request({ host: "127.0.0.1:30569", origin: "null" }), true)).toMatch(/opaque/);
    expect(
      refusedOrigin(request({ host: "127.0.0.1:30569", origin: "http://127.0.0.1:30569" }), true),
    ).toBeUndefined();
  });

  it("knows loopback addresses", () => {
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("0.0.0.0")).toBe(false);
    expect(isLoopbackAddress("::")).toBe(false);
  });
});
