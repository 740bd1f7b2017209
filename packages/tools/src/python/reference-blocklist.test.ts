import { describe, expect, it } from "vitest";
import { checkReferenceBlocklist, REFERENCE_BLOCKED_TEXT } from "./reference-blocklist";

describe("checkReferenceBlocklist", () => {
  it("blocks the reference's imports and calls by substring", () => {
    for (const code of [
      "import subprocess",
      "from socket import socket",
      "import threading",
      "os.system('ls')",
      "os.popen('ls')",
      "os.fork()",
      "os.execv('/bin/sh', [])",
      "import sys\nsys.exit(0)",
      "os._exit(0)",
      "os.kill(1, 9)",
      "import ctypes",
    ]) {
      expect(checkReferenceBlocklist(code)).toBe(REFERENCE_BLOCKED_TEXT);
    }
    expect(REFERENCE_BLOCKED_TEXT).toBe(
      "Execution blocked: Code contains potentially dangerous operations or imports.",
    );
  });

  it("lets ordinary code through, and is easy to evade (which is why the sandbox exists)", () => {
    expect(checkReferenceBlocklist("image_1.crop((0, 0, 10, 10))")).toBeUndefined();
    expect(checkReferenceBlocklist("import os\nprint(os.getcwd())")).toBeUndefined();
    expect(checkReferenceBlocklist("__import__('sub' + 'process').run(['id'])")).toBeUndefined();
  });
});
