import { type DecoderModel, loadPolicy } from "@hdpo/policy";

/**
 * Sampler weights saved to disk (persistent save_weights_for_sampler), loaded on first use and kept for the next
 * samples; the least recently used folder is released beyond `capacity`. Folders never change once written. A caller
 * uses the model right after `get` without awaiting I/O (generation is synchronous), so a release never pulls a
 * model from under a running sample.
 */
export class SamplerCache {
  private readonly models = new Map<string, Promise<DecoderModel>>();

  constructor(private readonly capacity: number) {}

  get(directory: string): Promise<DecoderModel> {
    const held = this.models.get(directory);
    if (held !== undefined) {
      this.models.delete(directory);
      this.models.set(directory, held);
      return held;
    }
    const loading = loadPolicy(directory).then(({ model }) => model);
    // A failed load is not remembered: the next request tries again.
    loading.catch(() => this.models.get(directory) === loading && this.models.delete(directory));
    this.models.set(directory, loading);
    while (this.models.size > this.capacity) {
      const [oldest, evicted] = this.models.entries().next().value as [string, Promise<DecoderModel>];
      this.models.delete(oldest);
      evicted.then((model) => model.dispose()).catch(() => undefined);
    }
    return loading;
  }

  clear(): void {
    for (const model of this.models.values()) model.then((m) => m.dispose()).catch(() => undefined);
    this.models.clear();
  }
}
