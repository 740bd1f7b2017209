import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative, resolve } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { decodeGrayscale } from "./decode-grayscale";
import { ImageSearchError } from "./image-search-error";
import { hammingDistance, perceptualHash } from "./perceptual-hash";

/** Largest image file read into the collection or returned (bytes). */
export const MAX_IMAGE_FILE_BYTES = 20 * 1024 * 1024;
export const MANIFEST_FILE = "manifest.jsonl";
const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

/** One indexed image. */
export interface CollectionImage {
  /** Absolute path. */
  path: string;
  /** The manifest's title, else the file name without its extension. */
  title: string;
  url?: string;
  hash: bigint;
}

/** A nearest image and how many of the 64 hash bits differ. */
export interface ImageMatch {
  image: CollectionImage;
  distance: number;
}

/**
 * The perceptual hashes of every PNG/JPEG file under a folder (recursively), built once. A `manifest.jsonl`
 * in the folder may name titles and source pages: one `{"file": "<path relative to the folder>", "title"?,
 * "url"?}` a line. Files that cannot be decoded are left out and listed in `skipped`.
 */
export class LocalImageCollection {
  readonly dir: string;
  readonly images: readonly CollectionImage[];
  readonly skipped: readonly { path: string; reason: string }[];

  private constructor(dir: string, images: CollectionImage[], skipped: { path: string; reason: string }[]) {
    this.dir = dir;
    this.images = images;
    this.skipped = skipped;
  }

  /**
   * Reads and hashes the folder, yielding to the event loop between images.
   *
   * @throws ImageSearchError when the folder cannot be read or the manifest is malformed (with line numbers).
   */
  static async build(dir: string, maxPixels?: number): Promise<LocalImageCollection> {
    const root = resolve(dir);
    let names: string[];
    try {
      names = (await readdir(root, { recursive: true })).map(String);
    } catch (error) {
      throw new ImageSearchError(
        `image collection ${root}: cannot read the folder (${(error as Error).message}); set HDPO_IMAGE_SEARCH_DIR to a folder of PNG/JPEG files.`,
      );
    }
    const manifest = names.includes(MANIFEST_FILE)
      ? await readManifest(join(root, MANIFEST_FILE))
      : new Map<string, ManifestLine>();
    const images: CollectionImage[] = [];
    const skipped: { path: string; reason: string }[] = [];
    for (const name of names.sort()) {
      if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
      const path = join(root, name);
      try {
        const info = await stat(path);
        if (!info.isFile()) continue;
        if (info.size > MAX_IMAGE_FILE_BYTES) throw new Error(`larger than ${MAX_IMAGE_FILE_BYTES} bytes`);
        const hash = perceptualHash(decodeGrayscale(await readFile(path), maxPixels));
        const described = manifest.get(relative(root, path));
        const image: CollectionImage = {
          path,
          title: described?.title ?? basename(name, extname(name)),
          hash,
        };
        if (described?.url !== undefined) image.url = described.url;
        images.push(image);
      } catch (error) {
        skipped.push({ path, reason: (error as Error).message });
      }
      await yieldToEventLoop();
    }
    for (const file of manifest.keys()) {
      if (!names.includes(file))
        skipped.push({ path: join(root, file), reason: "named in the manifest but not found" });
    }
    return new LocalImageCollection(root, images, skipped);
  }

  /** The `k` images nearest to `hash` within `maxDistance` bits, nearest first (ties by path). */
  nearest(hash: bigint, k: number, maxDistance: number): ImageMatch[] {
    const matches: ImageMatch[] = [];
    for (const image of this.images) {
      const distance = hammingDistance(hash, image.hash);
      if (distance <= maxDistance) matches.push({ image, distance });
    }
    matches.sort((a, b) => a.distance - b.distance || (a.image.path < b.image.path ? -1 : 1));
    return matches.slice(0, k);
  }
}

interface ManifestLine {
  title?: string;
  url?: string;
}

async function readManifest(path: string): Promise<Map<string, ManifestLine>> {
  const lines = (await readFile(path, "utf8")).split("\n");
  const out = new Map<string, ManifestLine>();
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${i + 1}: not valid JSON (${(error as Error).message})`);
      return;
    }
    const checked = checkManifestLine(value);
    if (typeof checked === "string") {
      problems.push(`line ${i + 1}: ${checked}`);
      return;
    }
    const { file, ...entry } = checked;
    out.set(file.replace(/^\.\//, ""), entry);
  });
  if (problems.length > 0) {
    throw new ImageSearchError(
      `image collection manifest ${path}: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}. Fix those lines.`,
    );
  }
  return out;
}

function checkManifestLine(value: unknown): (ManifestLine & { file: string }) | string {
  if (typeof value !== "object" || value === null) return 'expected an object {"file","title"?,"url"?}';
  const { file, title, url } = value as Record<string, unknown>;
  if (typeof file !== "string" || file === "") return '"file" must be a non-empty string';
  if (title !== undefined && typeof title !== "string") return '"title" must be a string';
  if (url !== undefined && typeof url !== "string") return '"url" must be a string';
  const entry: ManifestLine & { file: string } = { file };
  if (title !== undefined) entry.title = title;
  if (url !== undefined) entry.url = url;
  return entry;
}
