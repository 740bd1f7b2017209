import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { scalePosition } from "./chart-scene";
import { barChart, histogram, lineChart, scatterChart } from "./chart-spec";
import { layoutChart } from "./layout-chart";
import { PALETTE, paletteColor } from "./palette";
import { PlotsError } from "./plots-error";
import { chartToDataUri, chartToPng } from "./render-png";
import { chartToSvg } from "./render-svg";

function count(svg: string, pattern: RegExp): number {
  return svg.match(new RegExp(pattern, "g"))?.length ?? 0;
}

function decode(png: Buffer) {
  const image = PNG.sync.read(png);
  const at = (x: number, y: number) => {
    const i = (Math.round(y) * image.width + Math.round(x)) * 4;
    return [image.data[i], image.data[i + 1], image.data[i + 2]];
  };
  let nonWhite = 0;
  for (let i = 0; i < image.data.length; i += 4)
    if (image.data[i] !== 255 || image.data[i + 1] !== 255 || image.data[i + 2] !== 255) nonWhite++;
  return { width: image.width, height: image.height, at, nonWhite };
}

const steps = lineChart({
  title: "Accuracy over steps",
  xLabel: "step",
  yLabel: "accuracy",
  yFormat: "percent",
  yRange: [0, 1],
  series: [
    {
      name: "train",
      points: [
        [0, 0.2],
        [10, 0.4],
        [20, 0.6],
        [30, 0.7],
      ],
    },
    {
      name: "val <held-out>",
      points: [
        [0, 0.1],
        [10, Number.NaN],
        [20, 0.5],
        [30, undefined],
        [40, null],
      ],
    },
  ],
});

describe("lineChart", () => {
  it("renders one polyline per unbroken run, a marker per present point, ticks, titles and a legend", () => {
    const svg = chartToSvg(steps);
    expect(svg.startsWith('<svg class="plot" data-plot="line"')).toBe(true);
    expect(count(svg, /<g class="series">/)).toBe(2);
    // train: one run of 4; val: runs [0] and [20] are single points, so only train gets a line.
    expect(count(svg, /<polyline class="line"/)).toBe(1);
    expect(count(svg, /<circle class="marker"/)).toBe(6);
    expect(count(svg, /<rect class="legend-swatch"/)).toBe(2);
    expect(svg).toContain(">val &lt;held-out&gt;</text>");
    expect(svg).not.toContain("<held-out>");
    for (const label of ["0%", "20%", "100%", "0", "30"])
      expect(svg).toMatch(new RegExp(`class="tick"[^>]*>${label}</text>`));
    // The x axis ends at the last present point (30), not at the missing one (40).
    expect(svg).not.toMatch(/class="tick"[^>]*>40<\/text>/);
    expect(svg).toContain(
      'rotate(-90)" text-anchor="middle" font-size="12" fill="rgb(51,51,51)">accuracy</text>',
    );
    expect(svg).toContain(">Accuracy over steps</text>");
  });

  it("never draws a missing point at zero", () => {
    const scene = layoutChart(steps);
    const zeroY = scalePosition(scene.y!, 0);
    const valSeries = scene.shapes.filter((s) => s.type === "group" && s.className === "series")[1]!;
    if (valSeries.type !== "group") throw new Error("expected a group");
    const ys = valSeries.children.flatMap((c) =>
      c.type === "marker" ? [c.y] : c.type === "path" ? c.points.map((p) => p[1]) : [],
    );
    expect(ys).toHaveLength(2);
    expect(ys.some((y) => Math.abs(y - zeroY) < 1e-9)).toBe(false);
  });

  it("draws series lines and markers in palette colours at the scene's positions in the PNG", () => {
    const scene = layoutChart(steps);
    const image = decode(chartToPng(steps));
    expect([image.width, image.height]).toEqual([640, 360]);
    expect(image.nonWhite).toBeGreaterThan(3000);
    // Middle of the train segment from step 10 to 20, and the val marker at step 20.
    const mx = scalePosition(scene.x!, 15);
    const my = scalePosition(scene.y!, 0.5);
    expect(image.at(mx, my)).toEqual([...PALETTE[0]!]);
    expect(image.at(scalePosition(scene.x!, 20), scalePosition(scene.y!, 0.5))).toEqual([...PALETTE[1]!]);
    // Nothing drawn for the missing val point at step 10 on the zero line (the axis is there, in its own colour).
    expect(image.at(scalePosition(scene.x!, 10) + 1, scalePosition(scene.y!, 0) - 3)).toEqual([
      255, 255, 255,
    ]);
    const doubled = decode(chartToPng(steps, { pixelRatio: 2 }));
    expect([doubled.width, doubled.height]).toEqual([1280, 720]);
    expect(doubled.at(2 * mx, 2 * my)).toEqual([...PALETTE[0]!]);
  });

  it("shows a clear message instead of axes when there is nothing to plot", () => {
    for (const chart of [
      lineChart({ title: "t", series: [] }),
      lineChart({ title: "t", series: [{ name: "a", points: [[1, Number.NaN]] }] }),
    ]) {
      const svg = chartToSvg(chart);
      expect(svg).toMatch(
        /<text class="empty"[^>]*>no data: (no series given|every series is empty)<\/text>/,
      );
      expect(count(svg, /class="axis"/)).toBe(0);
      expect(layoutChart(chart).empty).toBe(true);
      expect(decode(chartToPng(chart)).nonWhite).toBeGreaterThan(100);
    }
    expect(chartToSvg(lineChart({ title: "t", series: [], emptyMessage: "no steps yet" }))).toContain(
      ">no steps yet<",
    );
  });

  it("refuses bad ranges and sizes with a PlotsError", () => {
    expect(() => lineChart({ title: "t", series: [], yRange: [1, 0] })).toThrow(PlotsError);
    expect(() => lineChart({ title: "t", series: [], width: 10 })).toThrow(/between 120 and 8000/);
    expect(() => histogram({ title: "t", values: [], bins: 0 })).toThrow(/bins/);
  });
});

describe("barChart", () => {
  const chart = barChart({
    title: "Accuracy per category",
    id: "category-accuracy",
    yFormat: "percent",
    yRange: [0, 1],
    bars: [
      { label: "math", value: 0.5, note: "n=4" },
      { label: "<b>charts</b>", value: null },
      { label: "search", value: 0.75 },
    ],
  });

  it("renders a group per bar with a tooltip, and n/a with no rect for a missing value", () => {
    const svg = chartToSvg(chart);
    expect(svg).toContain('data-plot="category-accuracy"');
    expect(count(svg, /<g class="bar">/)).toBe(3);
    expect(count(svg, /<rect class="bar-rect"/)).toBe(2);
    expect(svg).toContain("<title>math (n=4): 50.0%</title>");
    expect(svg).toContain("<title>&lt;b&gt;charts&lt;/b&gt;: n/a</title>");
    expect(svg).toContain(">n/a</text>");
    expect(svg).not.toContain("<b>");
  });

  it("draws bar heights to scale in the PNG", () => {
    const scene = layoutChart(chart);
    const image = decode(chartToPng(chart));
    const slot = (scene.plot.right - scene.plot.left) / 3;
    const centre = (i: number) => scene.plot.left + slot * (i + 0.5);
    const y = (v: number) => scalePosition(scene.y!, v);
    expect(image.at(centre(0), y(0.45))).toEqual([...PALETTE[0]!]);
    expect(image.at(centre(0), y(0.55))).toEqual([255, 255, 255]);
    expect(image.at(centre(2), y(0.7))).toEqual([...PALETTE[0]!]);
    expect(image.at(centre(1), y(0.3))).toEqual([255, 255, 255]);
  });
});

describe("histogram", () => {
  it("bins values into contiguous bars and notes what it skipped", () => {
    const chart = histogram({
      title: "Pass rates",
      xLabel: "pass rate",
      values: [0.05, 0.15, 0.15, 0.95, Number.NaN, null],
      bins: 10,
      range: [0, 1],
    });
    const svg = chartToSvg(chart);
    expect(count(svg, /<g class="bar">/)).toBe(10);
    expect(count(svg, /<rect class="bar-rect"/)).toBe(3);
    expect(svg).toContain("<title>[0.1, 0.2): 2</title>");
    expect(svg).toContain("<title>[0.9, 1]: 1</title>");
    expect(svg).toContain(">2 skipped (missing or out of range)</text>");
    expect(svg).toContain(">count</text>");
    const scene = layoutChart(chart);
    const image = decode(chartToPng(chart));
    expect(image.at(scalePosition(scene.x!, 0.15), scalePosition(scene.y!, 1.5))).toEqual([...PALETTE[0]!]);
    expect(image.at(scalePosition(scene.x!, 0.55), scalePosition(scene.y!, 0.5))).toEqual([255, 255, 255]);
  });

  it("shows the empty message when no value is a number", () => {
    expect(chartToSvg(histogram({ title: "t", values: [null, Number.NaN] }))).toContain(
      ">no data: no value is a number in range</text>",
    );
  });
});

describe("scatterChart", () => {
  const chart = scatterChart({
    title: "Accuracy vs tool-use rate",
    xLabel: "tool-use rate",
    yLabel: "accuracy",
    xFormat: "percent",
    yFormat: "percent",
    xRange: [0, 1],
    yRange: [0, 1],
    points: [
      { label: "overall", x: 0.1, y: 0.9 },
      { label: "missing", x: Number.NaN, y: 0.5 },
      { label: "a & b", x: 0.9, y: 0.2 },
    ],
  });

  it("renders one labelled circle per point with both coordinates, in its palette colour", () => {
    const svg = chartToSvg(chart);
    expect(count(svg, /<circle/)).toBe(2);
    expect(count(svg, /<g class="point">/)).toBe(2);
    expect(svg).toContain(">a &amp; b</text>");
    expect(svg).toContain("<title>overall: accuracy 90.0%, tool-use rate 10.0%</title>");
    expect(svg).toContain(`fill="rgb(${paletteColor(2).join(",")})"`);
    expect(svg).not.toContain(">missing<");
  });

  it("draws the markers at the scene's positions in the PNG, also at a larger size", () => {
    for (const size of [{}, { width: 800, height: 600 }]) {
      const sized = scatterChart({ ...chart, ...size });
      const scene = layoutChart(sized);
      const image = decode(chartToPng(sized));
      expect([image.width, image.height]).toEqual([scene.width, scene.height]);
      expect(image.at(scalePosition(scene.x!, 0.1), scalePosition(scene.y!, 0.9))).toEqual([...PALETTE[0]!]);
      expect(image.at(scalePosition(scene.x!, 0.9), scalePosition(scene.y!, 0.2))).toEqual([...PALETTE[2]!]);
    }
    expect(chartToDataUri(chart)).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  });
});
