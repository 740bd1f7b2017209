import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { SearchError } from "./search-error";

/** One document of a local corpus (one JSONL line): `text` is searched and quoted, `title` is searched too. */
export interface CorpusDocument {
  id: string;
  title: string;
  url: string;
  text: string;
}

/** What a caller may hand over in memory: `id` may be a number, `title` and `url` may be left out. */
export interface CorpusDocumentInput {
  id: string | number;
  title?: string;
  url?: string;
  text: string;
}

/** Problems listed in one error before the rest are summarised as a count. */
const MAX_LISTED_PROBLEMS = 5;

/**
 * Reads a JSONL corpus (one `{id, title?, url?, text}` object a line; blank lines ignored) and checks every
 * line.
 *
 * @throws SearchError naming the file, the line numbers and what is wrong with each (up to five), when the
 *   file cannot be read, a line is not a JSON object of that shape, an id repeats, or there is no document.
 */
export async function loadCorpusFile(path: string): Promise<CorpusDocument[]> {
  const documents: CorpusDocument[] = [];
  const problems: string[] = [];
  const firstLineOfId = new Map<string, number>();
  let lineNumber = 0;
  try {
    const lines = createInterface({
      input: createReadStream(path, "utf8"),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        problems.push(`line ${lineNumber}: not valid JSON (${(error as Error).message})`);
        continue;
      }
      const checked = checkDocument(value);
      if (typeof checked === "string") {
        problems.push(`line ${lineNumber}: ${checked}`);
        continue;
      }
      const earlier = firstLineOfId.get(checked.id);
      if (earlier !== undefined) {
        problems.push(`line ${lineNumber}: id ${JSON.stringify(checked.id)} repeats line ${earlier}`);
        continue;
      }
      firstLineOfId.set(checked.id, lineNumber);
      documents.push(checked);
    }
  } catch (error) {
    throw new SearchError(
      `local search corpus: cannot read ${path} (${(error as Error).message}); set HDPO_SEARCH_CORPUS to a readable JSONL file of {"id","title","url","text"} objects.`,
    );
  }
  throwProblems(`local search corpus ${path}`, problems);
  if (documents.length === 0) {
    throw new SearchError(
      `local search corpus ${path} has no documents; add JSONL lines of {"id","title","url","text"}.`,
    );
  }
  return documents;
}

/**
 * Checks an in-memory corpus the same way (problems are named by array index).
 *
 * @throws SearchError as `loadCorpusFile`.
 */
export function checkCorpus(inputs: readonly CorpusDocumentInput[]): CorpusDocument[] {
  const documents: CorpusDocument[] = [];
  const problems: string[] = [];
  const firstIndexOfId = new Map<string, number>();
  inputs.forEach((input, index) => {
    const checked = checkDocument(input);
    if (typeof checked === "string") {
      problems.push(`document ${index}: ${checked}`);
      return;
    }
    const earlier = firstIndexOfId.get(checked.id);
    if (earlier !== undefined) {
      problems.push(`document ${index}: id ${JSON.stringify(checked.id)} repeats document ${earlier}`);
      return;
    }
    firstIndexOfId.set(checked.id, index);
    documents.push(checked);
  });
  throwProblems("local search corpus", problems);
  if (documents.length === 0)
    throw new SearchError("local search corpus is empty; give at least one document.");
  return documents;
}

function checkDocument(value: unknown): CorpusDocument | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected an object {"id","title","url","text"}, got ${Array.isArray(value) ? "an array" : typeof value}`;
  }
  const { id, title, url, text } = value as Record<string, unknown>;
  if (typeof id === "number" ? !Number.isFinite(id) : typeof id !== "string" || id === "") {
    return `"id" must be a non-empty string or a number, got ${JSON.stringify(id) ?? "nothing"}`;
  }
  if (typeof text !== "string") return `"text" must be a string, got ${JSON.stringify(text) ?? "nothing"}`;
  if (title !== undefined && typeof title !== "string") return `"title" must be a string when given`;
  if (url !== undefined && typeof url !== "string") return `"url" must be a string when given`;
  return { id: String(id), title: title ?? "", url: url ?? "", text };
}

function throwProblems(what: string, problems: string[]): void {
  if (problems.length === 0) return;
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).join("; ");
  const more =
    problems.length > MAX_LISTED_PROBLEMS ? `; and ${problems.length - MAX_LISTED_PROBLEMS} more` : "";
  throw new SearchError(
    `${what} has ${problems.length} malformed row(s): ${listed}${more}. Fix or remove them.`,
  );
}
