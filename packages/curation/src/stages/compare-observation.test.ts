import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tinyPngDataUri } from "../testing/tiny-png";
import { compareObservation } from "./compare-observation";

describe("compareObservation", () => {
  it("agrees across whitespace, float formatting within tolerance, and the loop's truncation", async () => {
    expect(
      await compareObservation({ text: "x =  1.0\n\n y" }, { text: "x = 1.0000000001\ny  " }),
    ).toBeUndefined();
    expect(await compareObservation({ text: "0.3" }, { text: "0.30000000000000004" })).toBeUndefined();
    expect(await compareObservation({ text: "nan inf" }, { text: "nan inf" })).toBeUndefined();
    expect(
      await compareObservation({ text: "tail of it...(truncated)" }, { text: "head and tail of it" }),
    ).toBeUndefined();
  });

  it("says what disagrees", async () => {
    expect(await compareObservation({ text: "42" }, { text: "43" })).toBe(
      "number 42 recorded, 43 fresh (beyond the tolerance)",
    );
    expect(
      await compareObservation({ text: "1.001" }, { text: "1.002" }, { relative: 1e-2 }),
    ).toBeUndefined();
    expect(await compareObservation({ text: "hello" }, { text: "help" })).toMatch(/outputs differ/);
    expect(
      await compareObservation({ text: "a", images: [] }, { text: "a", images: [tinyPngDataUri(4, 4)] }),
    ).toBe("recorded 0 image(s), the fresh run gave 1");
    expect(
      await compareObservation(
        { text: "a", images: [tinyPngDataUri(4, 4)] },
        { text: "a", images: [tinyPngDataUri(4, 5)] },
      ),
    ).toBe("image 1: recorded 4x4, fresh 4x5");
    expect(
      await compareObservation(
        { text: "a", images: [tinyPngDataUri(4, 4)] },
        { text: "a", images: [tinyPngDataUri(4, 5)] },
        { imageSizes: false },
      ),
    ).toBeUndefined();
  });

  it("never reads a file named by a fresh (tool-made) image, while a recorded one may be a dataset file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "compare-observation-"));
    const file = join(dir, "secret.png");
    await writeFile(file, Buffer.from(tinyPngDataUri(4, 4).split(",")[1]!, "base64"), { mode: 0o600 });
    // The fresh side names the file: it is not read, so the sizes cannot match.
    expect(
      await compareObservation({ text: "a", images: [tinyPngDataUri(4, 4)] }, { text: "a", images: [file] }),
    ).toBe("image 1: recorded 4x4, fresh not a data URI");
    // Control: the recorded side (the user's dataset) may name a file, and it is read.
    expect(
      await compareObservation({ text: "a", images: [file] }, { text: "a", images: [tinyPngDataUri(4, 4)] }),
    ).toBeUndefined();
  });
});
