import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { JudgeError } from "./judge-error";
import type { Verdict } from "./verdict";

/** What a cached verdict is keyed on: the same judge model asked the same thing. */
export interface VerdictCacheKey {
  model: string;
  question: string;
  groundTruth: string;
  prediction: string;
}

interface CacheLine {
  key: string;
  verdict: Verdict;
}

/**
 * Verdicts keyed by a SHA-256 of (judge model, question, ground truth, prediction), held in memory and, when
 * opened on a file, appended to it as JSON lines (one `appendFile` per line, in call order) and loaded back
 * on open. Lines that do not parse — a line torn by a crash — are skipped and counted in `skippedLines`; a
 * later line for the same key wins.
 */
export class VerdictCache {
  /** The file appended to, or `undefined` for a cache in memory only. */
  readonly path: string | undefined;
  /** Lines of the file that could not be read on open. */
  readonly skippedLines: number;
  readonly #entries: Map<string, Verdict>;
  #writes: Promise<void> = Promise.resolve();

  private constructor(path: string | undefined, entries: Map<string, Verdict>, skippedLines: number) {
    this.path = path;
    this.#entries = entries;
    this.skippedLines = skippedLines;
  }

  /** A cache with no file behind it. */
  static inMemory(): VerdictCache {
    return new VerdictCache(undefined, new Map(), 0);
  }

  /**
   * Opens (or creates, with its folder) the JSONL file at `path` and loads its verdicts.
   *
   * @throws JudgeError when `path` is not a non-empty string or the file cannot be read.
   */
  static async open(path: string): Promise<VerdictCache> {
    if (typeof path !== "string" || path === "") {
      throw new JudgeError(
        `VerdictCache.open: path must be a non-empty file path, got ${JSON.stringify(path)}.`,
      );
    }
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new JudgeError(
          `VerdictCache.open: cannot read ${path} (${String(error)}); check its permissions.`,
        );
      }
      await mkdir(dirname(path), { recursive: true });
    }
    const entries = new Map<string, Verdict>();
    let skipped = 0;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const parsed = parseLine(line);
      if (parsed === undefined) skipped++;
      else entries.set(parsed.key, parsed.verdict);
    }
    return new VerdictCache(path, entries, skipped);
  }

  /** The hex SHA-256 a verdict is stored under. */
  static keyOf({ model, question, groundTruth, prediction }: VerdictCacheKey): string {
    return createHash("sha256")
      .update(JSON.stringify([model, question, groundTruth, prediction]))
      .digest("hex");
  }

  /** Verdicts held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The stored verdict for `key`, marked `cached: true`, or `undefined`. */
  get(key: VerdictCacheKey): Verdict | undefined {
    const verdict = this.#entries.get(VerdictCache.keyOf(key));
    return verdict === undefined ? undefined : { ...verdict, cached: true };
  }

  /**
   * Stores a verdict (only `ok` ones: a failed judgement is worth asking again) and appends it to the file.
   * Resolves once the line is written.
   */
  async set(key: VerdictCacheKey, verdict: Verdict): Promise<void> {
    if (verdict.status !== "ok") return;
    const { cached: _cached, ...stored } = verdict;
    const hash = VerdictCache.keyOf(key);
    this.#entries.set(hash, stored);
    const path = this.path;
    if (path === undefined) return;
    const line = `${JSON.stringify({ key: hash, verdict: stored } satisfies CacheLine)}\n`;
    const write = this.#writes.then(() => appendFile(path, line, "utf8"));
    this.#writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every pending line is written. */
  async flush(): Promise<void> {
    await this.#writes;
  }
}

function parseLine(line: string): CacheLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { key, verdict } = value as Partial<CacheLine>;
  if (typeof key !== "string" || !isVerdict(verdict)) return undefined;
  return { key, verdict };
}

function isVerdict(value: unknown): value is Verdict {
  if (typeof value !== "object" || value === null) return false;
  const verdict = value as Partial<Verdict>;
  return (
    (verdict.status === "ok" || verdict.status === "error") &&
    typeof verdict.score === "number" &&
    verdict.score >= 0 &&
    verdict.score <= 1 &&
    typeof verdict.correct === "boolean" &&
    (verdict.decidedBy === "rule" || verdict.decidedBy === "llm" || verdict.decidedBy === "none")
  );
}
