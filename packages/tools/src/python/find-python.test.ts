import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findPython } from "./find-python";
import { PythonUnavailableError } from "./python-error";

describe("findPython", () => {
  it("finds a Python 3 with PIL and numpy (the tests need it; CI installs python3-pil python3-numpy)", async () => {
    const python = await findPython();
    expect(python.version).toMatch(/^3\./);
    expect(python.modules.PIL).toBe(true);
    expect(python.modules.numpy).toBe(true);
    expect(python.path.startsWith("/")).toBe(true);
  });

  it("refuses an explicit interpreter that does not work, naming it and the fix", async () => {
    const attempt = findPython({ python: "/nonexistent/python3", env: {} });
    await expect(attempt).rejects.toBeInstanceOf(PythonUnavailableError);
    await expect(attempt).rejects.toThrow(
      /\/nonexistent\/python3: cannot run.*apt-get install -y python3-pil python3-numpy/,
    );
  });

  it("names what a candidate lacks", async () => {
    // A real Python 3 started without site-packages: it has neither Pillow nor numpy.
    const dir = await mkdtemp(join(tmpdir(), "hdpo-find-python-"));
    const wrapper = join(dir, "python3-bare");
    await writeFile(wrapper, '#!/bin/sh\nexec /usr/bin/python3 -S "$@"\n', { mode: 0o755 });
    try {
      const attempt = findPython({ python: wrapper, env: {} });
      await expect(attempt).rejects.toThrow(
        new RegExp(`${wrapper}: Python 3\\.\\d+\\.\\d+ lacks PIL and numpy`),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
