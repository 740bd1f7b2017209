import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { ImageSearchError } from "./image-search-error";

/**
 * One cached result of a map: a title, the image as a data URI or a file path (relative paths are resolved
 * against the map's `imageRoot`), and optionally the page it came from.
 */
export interface ImageSearchMapEntry {
  title: string;
  image: string;
  url?: string;
}

/**
 * A map from a task's `extra_fields.index` (as a string) to its cached image search results. Two shapes are
 * read: ours, `{ [index]: [{title, image, url?}] }`, and the reference's
 * `{ [index]: {tool_returned_web_title: string[], cached_images_path: string[]} }` (titles and image paths
 * zipped in order, paths relative to `METIS_IMAGE_SEARCH_CACHE`).
 */
export type ImageSearchMap = Record<string, ImageSearchMapEntry[] | ReferenceMapEntry>;

export interface ReferenceMapEntry {
  tool_returned_web_title: string[];
  cached_images_path: string[];
}

/** A map source: a JSON file path or the map itself. */
export type ImageSearchMapSource = string | ImageSearchMap;

/** A loaded entry: file images carry an absolute `path`, inline ones a `dataUri`. */
export type ResolvedMapEntry = { title: string; url?: string } & ({ path: string } | { dataUri: string });

/**
 * Loads every map; a later map's key replaces an earlier one's (the reference's `dict.update`). Image paths
 * resolve against `imageRoot` when given, else the map file's folder (for maps given inline: the working
 * directory).
 *
 * @throws ImageSearchError naming the map and key for unreadable files, bad JSON and malformed entries.
 */
export async function loadImageSearchMaps(
  sources: readonly ImageSearchMapSource[],
  imageRoot?: string,
): Promise<Map<string, ResolvedMapEntry[]>> {
  const merged = new Map<string, ResolvedMapEntry[]>();
  for (const source of sources) {
    const name = typeof source === "string" ? source : "an inline map";
    let map: unknown = source;
    if (typeof source === "string") {
      try {
        map = JSON.parse(await readFile(source, "utf8"));
      } catch (error) {
        throw new ImageSearchError(
          `image search map ${source}: cannot read it as JSON (${(error as Error).message}); fix the file or remove it from the maps.`,
        );
      }
    }
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
      throw new ImageSearchError(`image search map ${name}: expected an object keyed by task index.`);
    }
    const root = imageRoot ?? (typeof source === "string" ? dirname(resolve(source)) : process.cwd());
    for (const [key, value] of Object.entries(map)) {
      merged.set(key, resolveEntries(value, root, `image search map ${name}, index ${JSON.stringify(key)}`));
    }
  }
  return merged;
}

function resolveEntries(value: unknown, root: string, where: string): ResolvedMapEntry[] {
  const fail = (what: string): never => {
    throw new ImageSearchError(
      `${where}: ${what}; expected [{"title","image","url"?}] or {"tool_returned_web_title": [...], "cached_images_path": [...]}.`,
    );
  };
  const resolveImage = (image: string, title: string, url: unknown): ResolvedMapEntry => {
    const entry: ResolvedMapEntry = image.startsWith("data:")
      ? { title, dataUri: image }
      : { title, path: isAbsolute(image) ? image : resolve(root, image) };
    if (typeof url === "string") entry.url = url;
    return entry;
  };
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (typeof item !== "object" || item === null) return fail(`entry ${i} is not an object`);
      const { title, image, url } = item as Record<string, unknown>;
      if (typeof title !== "string") return fail(`entry ${i} has no string "title"`);
      if (typeof image !== "string" || image === "") return fail(`entry ${i} has no string "image"`);
      if (url !== undefined && typeof url !== "string")
        return fail(`entry ${i} has a "url" that is not a string`);
      return resolveImage(image, title, url);
    });
  }
  if (typeof value === "object" && value !== null) {
    const { tool_returned_web_title: titles = [], cached_images_path: paths = [] } =
      value as Partial<ReferenceMapEntry>;
    if (!Array.isArray(titles) || !Array.isArray(paths)) return fail("the reference lists are not arrays");
    // zip() as in the reference: extra titles or paths are ignored.
    const length = Math.min(titles.length, paths.length);
    const out: ResolvedMapEntry[] = [];
    for (let i = 0; i < length; i++) {
      const title = titles[i];
      const path = paths[i];
      if (typeof title !== "string" || typeof path !== "string")
        return fail(`item ${i} is not a string pair`);
      out.push(resolveImage(path, title, undefined));
    }
    return out;
  }
  return fail("not a list of results");
}
