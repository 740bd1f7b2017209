import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "./concurrency";

describe("mapWithConcurrency", () => {
  it("keeps input order and never exceeds the limit (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(3), { maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          let inFlight = 0;
          let peak = 0;
          const out = await mapWithConcurrency(delays, limit, async (d, i) => {
            peak = Math.max(peak, ++inFlight);
            await new Promise((r) => setTimeout(r, d));
            inFlight--;
            return i * 2;
          });
          expect(out).toEqual(delays.map((_, i) => i * 2));
          expect(peak).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("propagates a rejection after in-flight work settles", async () => {
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (x) => {
        if (x === 2) throw new Error("boom");
        return x;
      }),
    ).rejects.toThrow("boom");
    await expect(mapWithConcurrency([1], 0, async (x) => x)).rejects.toThrow(/concurrency/);
  });
});
