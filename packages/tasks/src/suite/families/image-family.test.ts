import type { Task } from "@hdpo/core";
import { GLYPH_HEIGHT, GLYPH_SPACING, GLYPH_WIDTH, glyphPixel, glyphRows } from "@hdpo/plots";
import { createToolRuntime, type ToolRuntime } from "@hdpo/tools";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { generateSuite } from "../generate-suite";
import { SPLIT_NAMES } from "../suite-types";
import { IMAGE_SIZE, type TextPlacement } from "./image-family";

const suite = generateSuite({ seed: 9, families: ["image"], sizes: { train: 12, val: 4, test: 4 } });
const tasks = SPLIT_NAMES.flatMap((split) => suite.tasks[split]);
const tiny = tasks.filter((task) => task.toolNecessity === "required");
const large = tasks.filter((task) => task.toolNecessity === "unnecessary");

function decode(task: Task): PNG {
  const base64 = task.images![0]!.slice("data:image/png;base64,".length);
  return PNG.sync.read(Buffer.from(base64, "base64"));
}

function placementOf(task: Task): TextPlacement {
  return task.extraInfo!.textPlacement as TextPlacement;
}

function pixel(png: PNG, x: number, y: number): number[] {
  const offset = (y * png.width + x) * 4;
  return [png.data[offset]!, png.data[offset + 1]!, png.data[offset + 2]!];
}

describe("image family", () => {
  it("draws every glyph pixel where the placement says, ink on glyph bits and background between them", () => {
    expect(tiny.length).toBeGreaterThan(3);
    expect(large.length).toBeGreaterThan(3);
    for (const task of tasks) {
      const png = decode(task);
      expect([png.width, png.height]).toEqual([IMAGE_SIZE, IMAGE_SIZE]);
      const { text, box, scale, ink, background } = placementOf(task);
      expect(text).toBe(task.answer);
      [...text].forEach((character, index) => {
        const rows = glyphRows(character);
        const left = box.x + index * (GLYPH_WIDTH + GLYPH_SPACING) * scale;
        for (let row = 0; row < GLYPH_HEIGHT; row++) {
          for (let column = 0; column < GLYPH_WIDTH; column++) {
            const expected = glyphPixel(rows, column, row) ? ink : background;
            // The centre of each font pixel's square.
            const x = left + column * scale + Math.floor(scale / 2);
            const y = box.y + row * scale + Math.floor(scale / 2);
            expect(pixel(png, x, y), `${task.id} "${character}" at (${x}, ${y})`).toEqual([...expected]);
          }
        }
      });
    }
  });

  it("shows large text across much of the picture, tiny text 7 px high in a corner with clutter elsewhere", () => {
    for (const task of large) {
      const { box } = placementOf(task);
      expect(box.height).toBeGreaterThanOrEqual(IMAGE_SIZE * 0.1);
    }
    for (const task of tiny) {
      const { box, background } = placementOf(task);
      expect(box.height).toBe(GLYPH_HEIGHT);
      const nearLeftOrRight = box.x < 20 || box.x + box.width > IMAGE_SIZE - 20;
      const nearTopOrBottom = box.y < 20 || box.y + box.height > IMAGE_SIZE - 20;
      expect(nearLeftOrRight && nearTopOrBottom).toBe(true);
      const png = decode(task);
      let clutter = 0;
      for (let y = 0; y < IMAGE_SIZE; y += 4) {
        for (let x = 0; x < IMAGE_SIZE; x += 4) if (pixel(png, x, y).join() !== background.join()) clutter++;
      }
      expect(clutter / (IMAGE_SIZE / 4) ** 2).toBeGreaterThan(0.1);
    }
  });

  describe("with the real Python sandbox", () => {
    let runtime: ToolRuntime | undefined;
    afterAll(() => runtime?.shutdown());

    it("crops and zooms the tiny text with image_1.crop(box).resize(...) to an image of the expected size", async () => {
      runtime = await createToolRuntime({ workers: 1 });
      const task = tiny[0]!;
      const { box } = placementOf(task);
      const crop = [box.x - 2, box.y - 2, box.x + box.width + 2, box.y + box.height + 2];
      const [width, height] = [(crop[2]! - crop[0]!) * 8, (crop[3]! - crop[1]!) * 8];
      const code = [
        `zoomed = image_1.crop((${crop.join(", ")})).resize((${width}, ${height}))`,
        "print(image_1.size, zoomed.size, min(zoomed.convert('L').getdata()))",
      ].join("\n");
      const reply = await runtime.handle({
        trajectoryId: "crop-test",
        action: `<tool_call>${JSON.stringify({ name: "python", arguments: { code } })}</tool_call>`,
        extra: { images: task.images },
      });
      const text = typeof reply.observation === "string" ? reply.observation : reply.observation.obs;
      const printed = /\((\d+), (\d+)\) \((\d+), (\d+)\) (\d+)/.exec(text);
      expect(printed, text).not.toBeNull();
      expect(printed!.slice(1, 5).map(Number)).toEqual([IMAGE_SIZE, IMAGE_SIZE, width, height]);
      // The zoomed crop holds the dark ink of the text, not just background.
      expect(Number(printed![5])).toBeLessThan(120);
    });
  });
});
