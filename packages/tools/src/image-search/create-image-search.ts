import { readFile, stat } from "node:fs/promises";
import { decodeGrayscale, MAX_DECODED_PIXELS } from "./decode-grayscale";
import { formatImageSearchResults, NO_IMAGE_RESULT_TEXT } from "./format-image-results";
import { bytesOfImageString, sniffImageFormat, toDataUri } from "./image-bytes";
import { ImageSearchError } from "./image-search-error";
import { type ImageSearchMapSource, loadImageSearchMaps, type ResolvedMapEntry } from "./image-search-maps";
import { LocalImageCollection, MAX_IMAGE_FILE_BYTES } from "./local-image-collection";
import { perceptualHash } from "./perceptual-hash";

/** Nearest images returned by the local provider, and the most differing hash bits (of 64) still a match. */
export const DEFAULT_IMAGE_SEARCH_K = 5;
export const DEFAULT_IMAGE_MAX_DISTANCE = 10;

export interface ImageSearchOptions {
  /** Reference mode: JSON maps from `extra_fields.index` to results (file paths or objects). */
  maps?: readonly ImageSearchMapSource[];
  /** Folder that relative image paths in maps are resolved against (the reference's METIS_IMAGE_SEARCH_CACHE). */
  imageRoot?: string;
  /** Local mode: the nearest images to the task's first image in a folder of PNG/JPEG files. */
  local?: { dir: string; k?: number; maxDistance?: number };
  /**
   * Largest image decoded for hashing (pixels), the task's image and the collection's alike; larger ones are refused
   * from their header, before decoding. Default 12 MP.
   */
  maxPixels?: number;
}

/** One lookup's observation parts. `images` are data URIs, one per `<image>` in `text`. */
export interface ImageSearchResult {
  text: string;
  images: string[];
  success: boolean;
  /** Where the answer came from, or why there is none (for logs and metrics; not shown to the model). */
  source: "map" | "local" | "none";
  reason?: string;
}

export interface ImageSearchLookup {
  /** The task's `extra_fields.index`. */
  index?: string | number;
  /** The task's images as data URIs; local mode searches with the first. */
  images?: readonly string[];
}

export interface ImageSearch {
  /** Never rejects: a miss is `success: false` with the reference's text. */
  lookup(request: ImageSearchLookup): Promise<ImageSearchResult>;
  /** Entries in the maps, images in the local collection and files skipped while indexing. */
  readonly stats: { mapKeys: number; localImages: number; localSkipped: number };
}

/**
 * Image search: the task's index looked up in the maps first (the reference's behaviour), then, when a local
 * collection is configured, the nearest images to the task's first image by perceptual hash. With neither
 * configured every lookup is the reference's miss, as Metis shipped.
 *
 * @throws ImageSearchError for unreadable or malformed maps, or an unreadable collection folder or manifest.
 */
export async function createImageSearch(options: ImageSearchOptions = {}): Promise<ImageSearch> {
  const maxPixels = options.maxPixels ?? MAX_DECODED_PIXELS;
  if (!(Number.isInteger(maxPixels) && maxPixels > 0))
    throw new ImageSearchError(`createImageSearch: maxPixels must be a positive integer, got ${maxPixels}.`);
  const maps = await loadImageSearchMaps(options.maps ?? [], options.imageRoot);
  const local =
    options.local === undefined ? undefined : await LocalImageCollection.build(options.local.dir, maxPixels);
  const k = options.local?.k ?? DEFAULT_IMAGE_SEARCH_K;
  const maxDistance = options.local?.maxDistance ?? DEFAULT_IMAGE_MAX_DISTANCE;
  if (!(Number.isInteger(k) && k > 0))
    throw new ImageSearchError(`createImageSearch: local.k must be a positive integer, got ${k}.`);
  if (!(maxDistance >= 0 && maxDistance <= 64)) {
    throw new ImageSearchError(
      `createImageSearch: local.maxDistance must be within 0..64 bits, got ${maxDistance}.`,
    );
  }
  const miss = (reason: string): ImageSearchResult => ({
    text: NO_IMAGE_RESULT_TEXT,
    images: [],
    success: false,
    source: "none",
    reason,
  });

  return {
    stats: {
      mapKeys: maps.size,
      localImages: local?.images.length ?? 0,
      localSkipped: local?.skipped.length ?? 0,
    },
    async lookup({ index, images }) {
      const entries = index === undefined || index === null ? undefined : maps.get(String(index));
      if (entries !== undefined && entries.length > 0) {
        const shown = await readMapImages(entries);
        if (shown.images.length > 0) {
          return {
            text: formatImageSearchResults(shown.numbered),
            images: shown.images,
            success: true,
            source: "map",
          };
        }
        if (local === undefined)
          return miss(
            `index ${String(index)}: no image of its map entry could be read (${shown.problems.join("; ")})`,
          );
      }
      if (local === undefined)
        return miss(index === undefined ? "no index in the request" : `index ${String(index)} is in no map`);
      const query = images?.[0];
      if (query === undefined)
        return miss("local image search needs the task's image and the request has none");
      let hash: bigint;
      try {
        const bytes = bytesOfImageString(query);
        if (bytes === undefined) throw new Error("the first image is not a base64 data URI");
        hash = perceptualHash(decodeGrayscale(bytes, maxPixels));
      } catch (error) {
        return miss(`cannot read the task's image: ${(error as Error).message}`);
      }
      const found = local.nearest(hash, k, maxDistance);
      const numbered: { number: number; title: string }[] = [];
      const dataUris: string[] = [];
      for (const match of found) {
        const uri = await readImageFile(match.image.path).catch(() => undefined);
        if (uri === undefined) continue;
        dataUris.push(uri);
        numbered.push({ number: numbered.length + 1, title: match.image.title });
      }
      if (dataUris.length === 0) return miss(`no image within ${maxDistance} bits in ${local.dir}`);
      return { text: formatImageSearchResults(numbered), images: dataUris, success: true, source: "local" };
    },
  };
}

/** Reads a map's images; unreadable ones are left out (as the reference does for missing files), keeping numbers. */
async function readMapImages(entries: readonly ResolvedMapEntry[]) {
  const numbered: { number: number; title: string }[] = [];
  const images: string[] = [];
  const problems: string[] = [];
  for (const [i, entry] of entries.entries()) {
    try {
      images.push("dataUri" in entry ? checkDataUri(entry.dataUri) : await readImageFile(entry.path));
      numbered.push({ number: i + 1, title: entry.title });
    } catch (error) {
      problems.push(`entry ${i + 1}: ${(error as Error).message}`);
    }
  }
  return { numbered, images, problems };
}

async function readImageFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size > MAX_IMAGE_FILE_BYTES)
    throw new Error(`${path} is larger than ${MAX_IMAGE_FILE_BYTES} bytes`);
  const bytes = await readFile(path);
  const format = sniffImageFormat(bytes);
  if (format === undefined) throw new Error(`${path} is not a PNG, JPEG, GIF, WebP or BMP image`);
  return toDataUri(bytes, format);
}

function checkDataUri(uri: string): string {
  const bytes = bytesOfImageString(uri);
  if (bytes === undefined || sniffImageFormat(bytes) === undefined)
    throw new Error("an inline image is not a base64 image data URI");
  return uri;
}
