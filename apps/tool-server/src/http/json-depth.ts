/**
 * Deepest JSON nesting a request may have. `JSON.parse` itself copes with any depth, but everything after it that
 * walks the value recursively (`JSON.stringify`, validation, logging) overflows the stack on a few hundred KiB of
 * `[[[[…`; the protocol's bodies nest about five levels deep, so 64 leaves room for any honest `extra_fields`.
 * The scan itself is @hdpo/http's `jsonTextNestsDeeper` (the action parser of @hdpo/tools uses it too).
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;
