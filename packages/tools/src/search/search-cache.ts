import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SearchError } from "./search-error";

/** The reference's bound and lifetime: 10000 entries, one hour. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10000;
export const DEFAULT_CACHE_TTL_MS = 3_600_000;

export interface SearchCacheOptions {
  /** JSONL file to append to and load from; without it the cache lives in memory only. */
  path?: string;
  maxEntries?: number;
  ttlMs?: number;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number;
}

/** One line of the file: the reference's `{query, result, timestamp}` (seconds) plus the provider. */
interface CacheLine {
  provider: string;
  query: string;
  result: string;
  timestamp: number;
}

interface Entry {
  result: string;
  storedAt: number;
}

/**
 * Successful search texts keyed by (provider, cleaned query): an LRU bounded to `maxEntries` whose entries
 * expire after `ttlMs`, appended to a JSONL file and loaded back on open (expired and unreadable lines
 * skipped, a later line for a key wins). When the file holds more than twice `maxEntries` lines it is
 * rewritten with the live entries only, through a temporary file and a rename, so a crash leaves either the
 * old or the new file. One process writes one file; another writer's lines appended between a compaction's
 * snapshot and its rename are lost (they are only cache entries).
 */
export class SearchCache {
  readonly path: string | undefined;
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Lines of the file that could not be used on open (unreadable, or from another format). */
  readonly skippedLines: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #linesInFile: number;
  #needsNewline: boolean;
  #writes: Promise<void> = Promise.resolve();
  #compactions = 0;

  private constructor(
    options: SearchCacheOptions,
    loaded: { lines: CacheLine[]; linesInFile: number; skipped: number; needsNewline: boolean },
  ) {
    this.path = options.path;
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    this.ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#linesInFile = loaded.linesInFile;
    this.#needsNewline = loaded.needsNewline;
    let skipped = loaded.skipped;
    const now = this.#now();
    for (const line of loaded.lines) {
      const storedAt = line.timestamp * 1000;
      if (now - storedAt > this.ttlMs) {
        skipped++;
        continue;
      }
      this.#put(keyOf(line.provider, line.query), { result: line.result, storedAt });
    }
    this.skippedLines = skipped;
  }

  /**
   * Opens a cache; with `path`, loads the file (creating its folder when missing).
   *
   * @throws SearchError when the options are out of range or the file exists but cannot be read.
   */
  static async open(options: SearchCacheOptions = {}): Promise<SearchCache> {
    const { path, maxEntries = DEFAULT_CACHE_MAX_ENTRIES, ttlMs = DEFAULT_CACHE_TTL_MS } = options;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new SearchError(`search cache: maxEntries must be a positive integer, got ${maxEntries}.`);
    }
    if (!(ttlMs > 0)) throw new SearchError(`search cache: ttlMs must be positive, got ${ttlMs}.`);
    if (path === undefined)
      return new SearchCache(options, { lines: [], linesInFile: 0, skipped: 0, needsNewline: false });
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new SearchError(
          `search cache: cannot read ${path} (${String(error)}); check its permissions or set HDPO_SEARCH_CACHE to another file.`,
        );
      }
      try {
        await mkdir(dirname(path), { recursive: true });
      } catch (mkdirError) {
        throw new SearchError(
          `search cache: cannot create the folder of ${path} (${String(mkdirError)}); set HDPO_SEARCH_CACHE to a writable file.`,
        );
      }
    }
    const lines: CacheLine[] = [];
    let linesInFile = 0;
    let skipped = 0;
    for (const raw of text.split("\n")) {
      if (raw.trim() === "") continue;
      linesInFile++;
      const line = parseLine(raw);
      if (line === undefined) skipped++;
      else lines.push(line);
    }
    return new SearchCache(options, {
      lines,
      linesInFile,
      skipped,
      needsNewline: text !== "" && !text.endsWith("\n"),
    });
  }

  /** Live entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** How many times the file was rewritten. */
  get compactions(): number {
    return this.#compactions;
  }

  /** The stored text for (provider, query) unless absent or expired; a hit becomes the most recently used. */
  get(provider: string, query: string): string | undefined {
    const key = keyOf(provider, query);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() - entry.storedAt > this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.result;
  }

  /** Stores a successful result and appends it to the file; resolves once written (or compacted). */
  async set(provider: string, query: string, result: string): Promise<void> {
    const storedAt = this.#now();
    this.#put(keyOf(provider, query), { result, storedAt });
    const path = this.path;
    if (path === undefined) return;
    const line: CacheLine = { provider, query, result, timestamp: storedAt / 1000 };
    const write = this.#writes.then(async () => {
      const prefix = this.#needsNewline ? "\n" : "";
      await appendFile(path, `${prefix}${JSON.stringify(line)}\n`, "utf8");
      this.#needsNewline = false;
      this.#linesInFile++;
      if (this.#linesInFile > 2 * this.maxEntries) await this.#compact(path);
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every pending write is done. */
  async flush(): Promise<void> {
    await this.#writes;
  }

  #put(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  async #compact(path: string): Promise<void> {
    const now = this.#now();
    const lines: string[] = [];
    for (const [key, entry] of this.#entries) {
      if (now - entry.storedAt > this.ttlMs) continue;
      const [provider, query] = JSON.parse(key) as [string, string];
      lines.push(
        JSON.stringify({
          provider,
          query,
          result: entry.result,
          timestamp: entry.storedAt / 1000,
        } satisfies CacheLine),
      );
    }
    const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(temp, lines.length === 0 ? "" : `${lines.join("\n")}\n`, "utf8");
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    this.#linesInFile = lines.length;
    this.#compactions++;
  }
}

function keyOf(provider: string, query: string): string {
  return JSON.stringify([provider, query]);
}

function parseLine(raw: string): CacheLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { provider, query, result, timestamp } = value as Partial<CacheLine>;
  // Lines without a provider come from the reference's cache, whose provider is unknown: not reused.
  if (typeof provider !== "string" || typeof query !== "string" || typeof result !== "string")
    return undefined;
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) return undefined;
  return { provider, query, result, timestamp };
}
