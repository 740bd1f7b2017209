/** A plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep merge of config layers: later layers win, objects merge key by key, arrays and scalars replace, and `null`
 * removes the setting (back to its default), e.g. `--set judge.baseUrl=null` over a file that set one.
 */
export function mergeConfig(...layers: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!isPlainObject(layer)) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (value === null) {
        delete out[key];
        continue;
      }
      const current = out[key];
      out[key] = isPlainObject(value) && isPlainObject(current) ? mergeConfig(current, value) : value;
    }
  }
  return out;
}

/** `{ a: { b: value } }` for the path `a.b`. */
export function objectAtPath(path: string, value: unknown): Record<string, unknown> {
  const keys = path.split(".");
  let out: unknown = value;
  for (const key of keys.reverse()) out = { [key]: out };
  return out as Record<string, unknown>;
}
