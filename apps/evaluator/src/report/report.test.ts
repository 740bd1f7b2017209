import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Prediction, summarize } from "@hdpo/evaluation";
import { examplePrediction } from "@hdpo/evaluation/testing";
import { layoutChart, PALETTE, scalePosition } from "@hdpo/plots";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../test-support/evaluation-fixture";
import { type HeadlessChromium, launchHeadlessChromium } from "../test-support/headless-chromium";
import { renderRunReport } from "./html-report";
import { accuracyVsToolUseChart, renderScatterPng } from "./report-charts";
import { writeRunOutputs } from "./write-run-outputs";

function prediction(id: string, fields: Partial<Prediction>): Prediction {
  const { tokens: _tokens, ...base } = examplePrediction(id, {
    question: `q ${id}`,
    groundTruth: "x",
    prediction: "x",
    response: "<answer>x</answer>",
    timings: { totalMs: 10, modelMs: 8, toolMs: 0, judgeMs: 1 },
  });
  return { ...base, ...fields };
}

const wrong = { verdict: { status: "ok", score: 0, correct: false, decidedBy: "rule" }, score: 0 } as const;
const PREDICTIONS: Prediction[] = [
  prediction("a", { category: "math", toolNecessity: "unnecessary" }),
  prediction("b", {
    category: "math",
    toolCalls: 2,
    toolCallsByName: { python: 2 },
    toolNecessity: "unnecessary",
  }),
  prediction("c", {
    category: "charts",
    toolCalls: 1,
    toolCallsByName: { python: 1 },
    toolNecessity: "required",
    ...wrong,
  }),
  prediction("d", {
    category: "charts",
    toolNecessity: "required",
    prediction: '<script>alert("x")</script><img src=x onerror=alert(1)>',
    response: "</pre><script>document.title='pwned'</script>",
    ...wrong,
  }),
];

let browser: HeadlessChromium;
beforeAll(async () => {
  browser = await launchHeadlessChromium();
});
afterAll(() => browser?.close());

describe("report.html in headless Chromium", () => {
  it("renders the three plots and tables whose numbers match summary.json, with model text inert", async () => {
    const dir = await tempDir("hdpo-eval-report-");
    const summary = await writeRunOutputs(dir, PREDICTIONS, {
      errorPolicy: "exclude",
      planned: 4,
      complete: true,
      label: "my-model",
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("dialog", (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(join(dir, "report.html")).href);
    expect(await page.locator("svg.plot").count()).toBe(3);
    expect(await page.locator('svg[data-plot="category-accuracy"] g.bar').count()).toBe(2);
    expect(await page.locator('svg[data-plot="tool-calls-histogram"] g.bar').count()).toBe(3); // T = 0, 1, 2
    expect(await page.locator('svg[data-plot="accuracy-vs-tool-use"] circle').count()).toBe(3); // overall + 2 categories
    const accuracyCell = page.locator('td[data-metric="accuracy"]');
    expect(Number(await accuracyCell.getAttribute("data-value"))).toBe(summary.accuracy);
    expect(await accuracyCell.textContent()).toBe("50.00%");
    expect(await page.locator('td[data-metric="toolUseRate"]').textContent()).toBe("50.00%");
    expect(await page.locator('td[data-metric="blindToolRate"]').textContent()).toBe("50.00%");
    expect(await page.locator('td[data-metric="missedToolRate"]').textContent()).toBe("50.00%");
    expect(await page.locator('td[data-cell="required-notUsed"]').textContent()).toBe("1");
    expect(await page.locator('tr[data-category="charts"] td').nth(2).textContent()).toBe("0.0%");
    // The hostile prediction is shown as text, not run.
    expect(await page.locator("table.items").textContent()).toContain('<script>alert("x")</script>');
    expect(await page.locator("table.items script, table.items img").count()).toBe(0);
    expect(await page.title()).toBe("hdpo-eval: my-model");
    expect(errors).toEqual([]);
    // Self-contained: no external resources.
    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(html).not.toMatch(/<(script|link|img)\b/);
  });

  it("stays small and fast to render for 10,000 items (only the first 200 listed)", async () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      prediction(`p${i}`, { category: `c${i % 5}`, toolCalls: i % 3, toolCallsByName: { python: i % 3 } }),
    );
    const html = renderRunReport(
      summarize(many, { errorPolicy: "exclude", planned: 10_000, complete: true }),
      many,
      "big",
    );
    expect(html.length).toBeLessThan(400_000);
    expect(html.match(/<tr class="item">/g)).toHaveLength(200);
  });
});

describe("headline.png", () => {
  it("decodes to the requested size, is not blank, and draws points in their colours", async () => {
    const points = [
      { label: "run A", x: 0.1, y: 0.9 },
      { label: "run B", x: 0.9, y: 0.2 },
    ];
    const png = PNG.sync.read(renderScatterPng(points, { title: "T", width: 400, height: 300 }));
    expect([png.width, png.height]).toEqual([400, 300]);
    const colours = new Set<string>();
    let nonWhite = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      const rgb = `${png.data[i]},${png.data[i + 1]},${png.data[i + 2]}`;
      colours.add(rgb);
      if (rgb !== "255,255,255") nonWhite++;
    }
    expect(nonWhite).toBeGreaterThan(2000);
    expect(colours.has(PALETTE[0]!.join(","))).toBe(true);
    expect(colours.has(PALETTE[1]!.join(","))).toBe(true);
    // Each point is drawn where the chart's own layout puts it: A (10 %, 90 %) top-left, B (90 %, 20 %) bottom-right.
    const scene = layoutChart(accuracyVsToolUseChart(points, "T", { width: 400, height: 300 }));
    const at = (x: number, y: number) => {
      const i = (Math.round(scalePosition(scene.y!, y)) * 400 + Math.round(scalePosition(scene.x!, x))) * 4;
      return [...png.data.subarray(i, i + 3)].join(",");
    };
    expect(scalePosition(scene.x!, 0.1)).toBeLessThan(scalePosition(scene.x!, 0.9));
    expect(scalePosition(scene.y!, 0.9)).toBeLessThan(scalePosition(scene.y!, 0.2));
    expect(at(0.1, 0.9)).toBe(PALETTE[0]!.join(","));
    expect(at(0.9, 0.2)).toBe(PALETTE[1]!.join(","));
  });

  it("is written by writeRunOutputs at 800×600", async () => {
    const dir = await tempDir("hdpo-eval-png-");
    await writeRunOutputs(dir, PREDICTIONS, {
      errorPolicy: "exclude",
      planned: 4,
      complete: true,
      label: "m",
    });
    const png = PNG.sync.read(await readFile(join(dir, "headline.png")));
    expect([png.width, png.height]).toEqual([800, 600]);
  });
});
