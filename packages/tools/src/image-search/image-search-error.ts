import { ToolsError } from "../tools-error";

/**
 * Thrown by `@hdpo/tools` image search for configuration mistakes found when it is created (an unreadable or
 * malformed map, a missing collection folder, a malformed manifest). Its message says what was wrong and
 * what to do. A lookup itself never throws: a miss or an undecodable query image is a `success: false` result.
 */
export class ImageSearchError extends ToolsError {
  override readonly name: string = "ImageSearchError";
}
