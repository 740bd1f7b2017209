export type {
  ImageSearch,
  ImageSearchLookup,
  ImageSearchOptions,
  ImageSearchResult,
} from "./create-image-search";
export { createImageSearch, DEFAULT_IMAGE_MAX_DISTANCE, DEFAULT_IMAGE_SEARCH_K } from "./create-image-search";
export type { GrayImage } from "./decode-grayscale";
export { decodeGrayscale, MAX_DECODED_PIXELS } from "./decode-grayscale";
export { formatImageSearchResults, NO_IMAGE_RESULT_TEXT } from "./format-image-results";
export { type ImageDimensions, jpegDimensions, pngDimensions } from "./image-dimensions";
export { ImageSearchError } from "./image-search-error";
export type {
  ImageSearchMap,
  ImageSearchMapEntry,
  ImageSearchMapSource,
  ReferenceMapEntry,
} from "./image-search-maps";
export { imageSearchOptionsFromEnv } from "./image-search-options";
export type { CollectionImage, ImageMatch } from "./local-image-collection";
export { LocalImageCollection, MANIFEST_FILE } from "./local-image-collection";
export { hammingDistance, hashToHex, perceptualHash } from "./perceptual-hash";
