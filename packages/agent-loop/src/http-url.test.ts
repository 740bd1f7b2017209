import { describe, expect, it } from "vitest";
import { isHttpUrl } from "./http-url";

describe("isHttpUrl", () => {
  it("takes http(s) URLs and nothing else", () => {
    expect(isHttpUrl("http://127.0.0.1:8000/v1")).toBe(true);
    expect(isHttpUrl("https://example.test")).toBe(true);
    for (const bad of ["notaurl", "127.0.0.1:8000", "ftp://host/", "file:///etc/passwd", "", "http//x"]) {
      expect(isHttpUrl(bad)).toBe(false);
    }
  });
});
