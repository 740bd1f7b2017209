import { execFile } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isReferenceOutputSize, pythonRound, referenceImageSize, smartResize } from "./image-resize-rules";
import { testInterpreter } from "./python-test-support";
import { locateDriver } from "./runtime-files";

/** Sizes computed by the driver's own Python functions (the code that really resizes observation images). */
async function pythonSizes(sizes: [number, number][]): Promise<[number, number][]> {
  const interpreter = await testInterpreter();
  const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("driver", sys.argv[1])
driver = importlib.util.module_from_spec(spec)
spec.loader.exec_module(driver)
out = []
for w, h in json.loads(sys.argv[2]):
    if max(h, w) / min(h, w) > driver.MAX_RATIO:
        if h > w:
            h = int(w * driver.MAX_RATIO)
        else:
            w = int(h * driver.MAX_RATIO)
    rh, rw = driver.smart_resize(h, w)
    out.append([rw, rh])
print(json.dumps(out))`;
  return new Promise((resolve, reject) => {
    execFile(
      interpreter.path,
      ["-I", "-B", "-c", script, locateDriver(), JSON.stringify(sizes)],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as [number, number][])),
    );
  });
}

describe("the reference's image resize rules", () => {
  it("round like Python (halves to even)", () => {
    expect([0.5, 1.5, 2.5, 12.5, 13.5, 2.4, 2.6].map(pythonRound)).toEqual([0, 2, 2, 12, 14, 2, 3]);
  });

  it("match worked examples", () => {
    expect(smartResize(300, 400)).toEqual([288, 384]);
    expect(referenceImageSize(10, 10)).toEqual({ width: 64, height: 64 });
    expect(referenceImageSize(10_000, 10_000)).toEqual({ width: 2272, height: 2272 });
    // aspect 500 > 200: the long side is cut to 200 x short first
    expect(referenceImageSize(5000, 10)).toEqual({ width: 1984, height: 32 });
  });

  it("agree with the driver's Python implementation on random sizes", async () => {
    const sizes = fc.sample(
      fc.tuple(fc.integer({ min: 1, max: 12_000 }), fc.integer({ min: 1, max: 12_000 })),
      { numRuns: 400, seed: 7 },
    );
    sizes.push([400, 300], [1, 1], [1, 5000], [6400, 3200], [16, 16], [33, 47], [208, 16]);
    const expected = await pythonSizes(sizes);
    const actual = sizes.map(([w, h]) => {
      const size = referenceImageSize(w, h);
      return [size.width, size.height];
    });
    expect(actual).toEqual(expected);
  });

  it("produce only sizes isReferenceOutputSize accepts (what the server re-checks images against)", () => {
    const sizes: [number, number][] = [];
    for (let w = 1; w <= 400; w++) for (let h = 1; h <= 400; h += 3) sizes.push([w, h]);
    // the extreme-ratio band, where rounding after the 200 clamp stretches the ratio up to 294
    for (let short = 1; short <= 120; short++)
      for (const long of [199, 200, 201, 5_000, 9_400, 40_000]) {
        sizes.push([short * long, short], [short, short * long]);
      }
    for (const [w, h] of fc.sample(
      fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 200_000 })),
      { numRuns: 20_000, seed: 11 },
    )) {
      sizes.push([w, h]);
    }
    for (const [w, h] of sizes) {
      const out = referenceImageSize(w, h);
      if (!isReferenceOutputSize(out.width, out.height))
        throw new Error(`${w}x${h} -> ${out.width}x${out.height}`);
    }
    expect(referenceImageSize(9394, 47)).toEqual({ width: 9408, height: 32 });
    expect(isReferenceOutputSize(9408, 32)).toBe(true);
  });

  it("reject sizes the rules never produce", () => {
    for (const [w, h] of [
      [50, 50],
      [32, 32],
      [0, 64],
      [64, 64.5],
      [32, 32 * 301],
      [4096, 4096],
      [-64, -64],
    ] as [number, number][]) {
      expect(isReferenceOutputSize(w, h), `${w}x${h}`).toBe(false);
    }
  });
});
