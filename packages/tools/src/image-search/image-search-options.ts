import { delimiter } from "node:path";
import type { ImageSearchOptions } from "./create-image-search";

/**
 * Options from the environment:
 * - `HDPO_IMAGE_SEARCH_MAPS`: JSON map files, separated like PATH (`:` on Linux);
 * - `METIS_IMAGE_SEARCH_CACHE`: the folder relative map image paths resolve against (the reference's name);
 * - `HDPO_IMAGE_SEARCH_DIR`: a folder of PNG/JPEG files for the local perceptual-hash search;
 * - `HDPO_IMAGE_SEARCH_K`, `HDPO_IMAGE_SEARCH_MAX_DISTANCE`: its result count and match threshold (bits);
 * - `HDPO_IMAGE_SEARCH_MAX_PIXELS`: the largest image decoded for hashing (default 12 MP).
 * None set: every lookup is the reference's miss.
 */
export function imageSearchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ImageSearchOptions {
  const value = (name: string) => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const options: ImageSearchOptions = {};
  const maps = value("HDPO_IMAGE_SEARCH_MAPS")
    ?.split(delimiter)
    .filter((path) => path !== "");
  if (maps !== undefined && maps.length > 0) options.maps = maps;
  const maxPixels = value("HDPO_IMAGE_SEARCH_MAX_PIXELS");
  if (maxPixels !== undefined) options.maxPixels = Number(maxPixels);
  const root = value("METIS_IMAGE_SEARCH_CACHE");
  if (root !== undefined) options.imageRoot = root;
  const dir = value("HDPO_IMAGE_SEARCH_DIR");
  if (dir !== undefined) {
    const local: NonNullable<ImageSearchOptions["local"]> = { dir };
    const k = value("HDPO_IMAGE_SEARCH_K");
    const maxDistance = value("HDPO_IMAGE_SEARCH_MAX_DISTANCE");
    if (k !== undefined) local.k = Number(k);
    if (maxDistance !== undefined) local.maxDistance = Number(maxDistance);
    options.local = local;
  }
  return options;
}
