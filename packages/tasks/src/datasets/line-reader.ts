import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** The lines of a UTF-8 text file, streamed, with their 1-based numbers (a trailing `\r` removed). */
export async function* readLines(path: string): AsyncGenerator<{ line: string; number: number }> {
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    yield { line, number };
  }
}

/** Lines of a file that hold something (blank lines are not rows). */
export async function countNonBlankLines(path: string): Promise<number> {
  let count = 0;
  for await (const { line } of readLines(path)) if (line.trim() !== "") count++;
  return count;
}
