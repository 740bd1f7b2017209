import { requirePositiveInt } from "./rollout-error";

/**
 * Runs `work(item, index)` for every item with at most `limit` calls in flight, and returns the results in input
 * order. Backpressure is structural: `limit` workers pull the next index only when their previous call settled, so
 * nothing is queued ahead of capacity. `work` must not reject for one item's failure (the agent loop turns failures
 * into trajectories); if it does reject, the rejection propagates after the in-flight calls settle.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  requirePositiveInt(limit, "concurrency");
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && firstError === undefined) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  await Promise.all(workers);
  if (firstError !== undefined) throw firstError.error;
  return results;
}
