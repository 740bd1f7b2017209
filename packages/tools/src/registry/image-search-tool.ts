import { z } from "zod";
import { NO_IMAGE_RESULT_TEXT } from "../image-search/index";
import { defineTool } from "./define-tool";
import { mentionsTimeout, observationReply } from "./tool-reply";

/** The reference lets `image_search` run once per trajectory. */
export const IMAGE_SEARCH_MAX_CALLS = 1;

/** The observation for an `image_search` call beyond the cap (metis-protocol.md §2, wording ours). */
export function imageSearchDuplicateText(count: number): string {
  return (
    `The image_search tool has already been called ${count} time(s) for this problem and would return identical ` +
    "results. Do not call image_search again; use the results you already have and give your final answer in " +
    "<answer></answer> tags."
  );
}

/** `image_search {}`: looks up results for the task's image (by `extra_fields.index`, or by the image itself). */
export const imageSearchTool = defineTool({
  name: "image_search",
  description:
    "Search the web for the task's image and return matching pages with their titles and images. It takes no " +
    "arguments and can be called once per task.",
  inputSchema: z.object({}),
  maxCallsPerTrajectory: IMAGE_SEARCH_MAX_CALLS,
  duplicateReply(count) {
    return observationReply(
      { obs: imageSearchDuplicateText(count), image: [], metrics: { deduplicated: true }, timeout: false },
      { tool: "image_search" },
    );
  },
  // The reference ignores the arguments of image_search.
  readArguments() {
    return { ok: true, args: {} };
  },
  async execute(_args, context) {
    // Without a configured image search every call misses, as Metis shipped (no maps configured).
    if (context.imageSearch === undefined) {
      return observationReply(
        { obs: NO_IMAGE_RESULT_TEXT, image: [], metrics: { search_success: false }, timeout: false },
        { tool: "image_search" },
      );
    }
    const { index, images } = context.extra;
    const request: { index?: string; images?: string[] } = {};
    if (typeof index === "string" || typeof index === "number") request.index = String(index);
    if (Array.isArray(images)) request.images = images.filter((x): x is string => typeof x === "string");
    const result = await context.imageSearch.lookup(request);
    return observationReply(
      {
        obs: result.text,
        image: result.images,
        metrics: { search_success: result.success },
        timeout: mentionsTimeout(result.text),
      },
      { tool: "image_search" },
    );
  },
});
