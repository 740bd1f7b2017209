/**
 * The deepest nesting of arrays and objects a tool call may have. Python's json (the reference's parser) gives up
 * near 1,000 levels; V8's JSON.stringify, which later writes a parsed call into replies, replays and logs, overflows
 * its stack near 4,000 levels from a shallow stack and sooner from a deep one, while JSON.parse accepts any depth.
 * Real calls nest a handful of levels.
 */
export const MAX_JSON_DEPTH = 512;

/**
 * True when a value (an already parsed request body) nests arrays/objects deeper than `max`. Iterative, so the check
 * itself cannot overflow the stack; it stops at the first path past `max`, which also ends it on a cyclic value.
 */
export function valueNestsDeeper(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (typeof top.value !== "object" || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) stack.push({ value: child, depth });
  }
  return false;
}
