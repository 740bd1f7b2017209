import { imageSearchTool } from "./image-search-tool";
import { pythonTool } from "./python-tool";
import { searchTool } from "./search-tool";
import type { RegisteredTool } from "./tool-registry";
import { ToolRegistry } from "./tool-registry";

/** The reference's tools: `python`, `search` (alias `text_search`) and `image_search`. */
export const BUILTIN_TOOLS: readonly RegisteredTool[] = [
  pythonTool as RegisteredTool,
  searchTool as RegisteredTool,
  imageSearchTool as RegisteredTool,
];

/** A registry holding the built-in tools. */
export function createBuiltinRegistry(): ToolRegistry {
  return new ToolRegistry(BUILTIN_TOOLS);
}
