import { type Box, RasterCanvas, type Rgb, textSize } from "@hdpo/plots";
import type { SeededRandom } from "../../random/seeded-random";
import type { DrawnTask, TaskFamilyGenerator } from "../suite-types";

/** Canvas side in pixels: a multiple of 32 inside the reference's smart-resize bounds, so no resize changes it. */
export const IMAGE_SIZE = 448;
/** Clear space kept around tiny text, so clutter never touches a glyph. */
const TINY_TEXT_MARGIN = 4;
const WORDS = [
  "MAPLE",
  "RIVER",
  "ORBIT",
  "CEDAR",
  "PRISM",
  "TULIP",
  "QUARTZ",
  "FALCON",
  "HARBOR",
  "VELVET",
  "COBALT",
  "GLACIER",
];

/** Where and how an image task's text was drawn; kept in the task's `extraInfo` so tests can check the pixels. */
export interface TextPlacement {
  text: string;
  box: Box;
  scale: number;
  ink: Rgb;
  background: Rgb;
}

/**
 * Image tasks, half of each kind: the same questions over a large, centred number or word (readable at a glance,
 * tool-unnecessary) or the same text 5×7 pixels tall in a corner among clutter (tool-required: it takes a crop
 * and zoom to read).
 */
export const imageFamily: TaskFamilyGenerator = {
  family: "image",
  templates: ["tiny-text", "large-text"],
  draw({ random }): DrawnTask {
    const numeric = random.chance(0.6);
    const text = numeric ? String(random.digits(random.int(4, 6))) : random.pick(WORDS);
    const tiny = random.chance(0.5);
    const { dataUri, placement } = tiny ? renderTiny(random, text) : renderLarge(random, text);
    const question = numeric
      ? random.pick([
          "What number is written in the image?",
          "Read the number shown in this picture. What is it?",
          "Which number appears in the image?",
        ])
      : random.pick([
          "What word is written in the image?",
          "Read the word shown in this picture. What is it?",
          "Which word appears in the image?",
        ]);
    return {
      question,
      answer: text,
      uniqueKey: `image:${tiny ? "tiny" : "large"}:${text}`,
      toolNecessity: tiny ? "required" : "unnecessary",
      images: [dataUri],
      extraInfo: {
        template: tiny ? "tiny-text" : "large-text",
        textPlacement: placement,
        imageSize: [IMAGE_SIZE, IMAGE_SIZE],
      },
    };
  },
};

function lightColour(random: SeededRandom): Rgb {
  return [random.int(215, 250), random.int(215, 250), random.int(215, 250)];
}

function darkColour(random: SeededRandom): Rgb {
  return [random.int(0, 50), random.int(0, 50), random.int(0, 70)];
}

function renderLarge(random: SeededRandom, text: string): { dataUri: string; placement: TextPlacement } {
  const background = lightColour(random);
  const ink = darkColour(random);
  const canvas = new RasterCanvas(IMAGE_SIZE, IMAGE_SIZE, background);
  const unit = textSize(text, 1);
  const scale = Math.min(12, Math.floor((IMAGE_SIZE * 0.8) / unit.width));
  const size = textSize(text, scale);
  const x = random.int(8, IMAGE_SIZE - size.width - 8);
  const y = random.int(Math.floor(IMAGE_SIZE * 0.25), Math.floor(IMAGE_SIZE * 0.75) - size.height);
  const box = canvas.text(text, x, y, ink, { scale });
  return { dataUri: canvas.toDataUri(), placement: { text, box, scale, ink, background } };
}

function renderTiny(random: SeededRandom, text: string): { dataUri: string; placement: TextPlacement } {
  const background = lightColour(random);
  const ink = darkColour(random);
  const canvas = new RasterCanvas(IMAGE_SIZE, IMAGE_SIZE, background);
  for (let i = random.int(60, 110); i > 0; i--) {
    const colour: Rgb = [random.int(0, 255), random.int(0, 255), random.int(0, 255)];
    if (random.chance(0.5)) {
      const width = random.int(8, 90);
      const height = random.int(8, 90);
      canvas.fillRect(
        random.int(0, IMAGE_SIZE - width),
        random.int(0, IMAGE_SIZE - height),
        width,
        height,
        colour,
      );
    } else {
      canvas.line(
        random.int(0, IMAGE_SIZE - 1),
        random.int(0, IMAGE_SIZE - 1),
        random.int(0, IMAGE_SIZE - 1),
        random.int(0, IMAGE_SIZE - 1),
        colour,
      );
    }
  }
  const size = textSize(text, 1);
  const inset = random.int(6, 14);
  const right = random.chance(0.5);
  const bottom = random.chance(0.5);
  const x = right ? IMAGE_SIZE - inset - size.width : inset;
  const y = bottom ? IMAGE_SIZE - inset - size.height : inset;
  canvas.fillRect(
    x - TINY_TEXT_MARGIN,
    y - TINY_TEXT_MARGIN,
    size.width + 2 * TINY_TEXT_MARGIN,
    size.height + 2 * TINY_TEXT_MARGIN,
    background,
  );
  const box = canvas.text(text, x, y, ink);
  return { dataUri: canvas.toDataUri(), placement: { text, box, scale: 1, ink, background } };
}
