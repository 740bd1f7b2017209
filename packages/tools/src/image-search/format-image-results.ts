/** The reference's text when the task's index is not in any map (always, as Metis shipped). */
export const NO_IMAGE_RESULT_TEXT = "No result found for image search.";

/** One shown result: its number (1-based position in its list) and title. */
export interface NumberedImageResult {
  number: number;
  title: string;
}

/**
 * The reference's hit text: a header, then per image `<i>. <image>\n[<title>]\n`, entries joined by a blank
 * line. The literal `<image>` stays in the text: the reference's image search keeps it (only the Python
 * tool strips it), and the agent loop, which forces `<image>` tags to the image count, then finds one tag per
 * returned image in place, so each image sits next to its title.
 */
export function formatImageSearchResults(results: readonly NumberedImageResult[]): string {
  const entries = results.map(({ number, title }) =>
    `${number}. <image>\n[${title}]\n`.replaceAll("Your browser can't play this video.", ""),
  );
  return `A Google image search for the image found ${entries.length} results:\n\n## Web Results\n${entries.join("\n\n")}`;
}
