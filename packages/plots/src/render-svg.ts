import type { ChartScene, SceneShape } from "./chart-scene";
import type { Chart } from "./chart-spec";
import { escapeHtml } from "./escape-html";
import { layoutChart } from "./layout-chart";
import { cssColor } from "./palette";

/** Short, exact-enough coordinates: keeps inline SVG small. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function shapeSvg(shape: SceneShape): string {
  switch (shape.type) {
    case "line":
      return `<line class="${shape.className}" x1="${n(shape.x1)}" y1="${n(shape.y1)}" x2="${n(shape.x2)}" y2="${n(shape.y2)}" stroke="${cssColor(shape.color)}" stroke-width="${n(shape.width)}"/>`;
    case "path":
      return `<polyline class="${shape.className}" points="${shape.points.map(([x, y]) => `${n(x)},${n(y)}`).join(" ")}" fill="none" stroke="${cssColor(shape.color)}" stroke-width="${n(shape.width)}" stroke-linejoin="round"/>`;
    case "rect":
      return `<rect class="${shape.className}" x="${n(shape.x)}" y="${n(shape.y)}" width="${n(shape.width)}" height="${n(shape.height)}" fill="${cssColor(shape.color)}"/>`;
    case "marker": {
      const { x, y, radius: r } = shape;
      const fill = `fill="${cssColor(shape.color)}"`;
      if (shape.shape === "circle")
        return `<circle class="${shape.className}" cx="${n(x)}" cy="${n(y)}" r="${n(r)}" ${fill}/>`;
      if (shape.shape === "square")
        return `<rect class="${shape.className}" x="${n(x - r)}" y="${n(y - r)}" width="${n(2 * r)}" height="${n(2 * r)}" ${fill}/>`;
      const corners =
        shape.shape === "diamond"
          ? [
              [x, y - r],
              [x + r, y],
              [x, y + r],
              [x - r, y],
            ]
          : [
              [x, y - r],
              [x + r, y + r],
              [x - r, y + r],
            ];
      return `<polygon class="${shape.className}" points="${corners.map(([px, py]) => `${n(px!)},${n(py!)}`).join(" ")}" ${fill}/>`;
    }
    case "text": {
      const position = shape.vertical
        ? `transform="translate(${n(shape.x)},${n(shape.y)}) rotate(-90)"`
        : `x="${n(shape.x)}" y="${n(shape.y)}"`;
      const weight = shape.bold ? ` font-weight="600"` : "";
      return `<text class="${shape.className}" ${position} text-anchor="${shape.anchor}" font-size="${n(shape.size)}"${weight} fill="${cssColor(shape.color)}">${escapeHtml(shape.text)}</text>`;
    }
    case "group": {
      const title = shape.tooltip === undefined ? "" : `<title>${escapeHtml(shape.tooltip)}</title>`;
      return `<g class="${shape.className}">${title}${shape.children.map(shapeSvg).join("")}</g>`;
    }
  }
}

/** An already laid-out scene as an SVG element. */
export function sceneToSvg(scene: ChartScene): string {
  const { width, height } = scene;
  return `<svg class="plot" data-plot="${escapeHtml(scene.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(scene.title)}" font-family="system-ui,sans-serif">${scene.shapes.map(shapeSvg).join("")}</svg>`;
}

/**
 * A chart as a self-contained `<svg>` element for inline HTML: no scripts, no external references, every text
 * escaped; each bar, point and series is a `<g>` with a `<title>` tooltip.
 */
export function chartToSvg(chart: Chart): string {
  return sceneToSvg(layoutChart(chart));
}
