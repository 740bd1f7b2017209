import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyError } from "../policy-error";
import { writeFileAtomic } from "./atomic-write";
import { makeTempDir } from "./test-fixtures";

describe("writeFileAtomic", () => {
  let dir = "";
  let cleanup = async () => {};
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  it("writes a new file and replaces an existing one, leaving no temp file", async () => {
    const path = join(dir, "a.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, "text");
    expect(await readFile(path, "utf8")).toBe("text");
    expect(await readdir(dir)).toEqual(["a.bin"]);
  });

  it("a crash between the temp write and the rename leaves the old file intact and no temp file", async () => {
    const path = join(dir, "model.safetensors");
    await writeFile(path, "old contents");
    let tempSeen = "";
    const crashing = {
      rename: async (from: string) => {
        // The new bytes are complete on disk under the temp name at this point, and the target is untouched.
        tempSeen = await readFile(from, "utf8");
        expect(await readFile(path, "utf8")).toBe("old contents");
        throw new Error("simulated power loss");
      },
    };
    const write = writeFileAtomic(path, "new contents", crashing);
    await expect(write).rejects.toThrow(PolicyError);
    await expect(writeFileAtomic(path, "new contents", crashing)).rejects.toThrow(
      `could not write ${path} (simulated power loss); the previous file, if any, is unchanged`,
    );
    expect(tempSeen).toBe("new contents");
    expect(await readFile(path, "utf8")).toBe("old contents");
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
  });

  it("renames within the target's directory, so the rename is atomic on one file system", async () => {
    const path = join(dir, "config.json");
    const renames: [string, string][] = [];
    await writeFileAtomic(path, "{}", {
      rename: async (from, to) => {
        renames.push([from, to]);
        await rename(from, to);
      },
    });
    expect(renames).toHaveLength(1);
    const [from, to] = renames[0]!;
    expect(to).toBe(path);
    expect(join(from, "..")).toBe(dir);
    expect(from).not.toBe(path);
  });

  it("fails with PolicyError when the directory does not exist", async () => {
    await expect(writeFileAtomic(join(dir, "missing", "x"), "x")).rejects.toThrow(
      `could not write ${join(dir, "missing", "x")}`,
    );
  });
});
