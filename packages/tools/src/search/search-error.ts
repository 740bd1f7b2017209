import { ToolsError } from "../tools-error";

/**
 * Thrown by `@hdpo/tools` text search for configuration mistakes found when a search is created (an unknown
 * provider, a `local` provider without a corpus, a malformed corpus file). Its message says what was wrong
 * and what to do. A failed search itself never throws: it is reported in `TextSearchResult`.
 */
export class SearchError extends ToolsError {
  override readonly name: string = "SearchError";
}
