/**
 * The URL of one of this folder's modules that a worker thread loads. Running from source (tests, `.ts`
 * files) it is the `.ts` file beside `from`; from the bundle it is the separate entry tsup writes next to
 * the chunk calling this (see tsup.config.ts), since a worker cannot load a module out of a bundle.
 */
export function moduleUrl(from: string, sourceName: string, bundleEntry: string): URL {
  return from.endsWith(".ts") ? new URL(`./${sourceName}.ts`, from) : new URL(`./${bundleEntry}.js`, from);
}

/** Whether this code runs from TypeScript source (then worker threads need tsx to load it). */
export function runningFromSource(from: string): boolean {
  return from.endsWith(".ts");
}
