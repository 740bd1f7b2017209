import { type ModelConfig, parameterShapes } from "../model-config";
import { PolicyError } from "../policy-error";
import { formatShape } from "./safetensors-dtype";

const LM_HEAD = "lm_head.weight";

/** What `checkWeightShapes` found acceptable but worth telling: names to drop and why. */
export interface WeightCheckResult {
  /** Human-readable notes (e.g. a tied config whose file also holds `lm_head.weight`). */
  warnings: string[];
  /** Names present in the weights that the model does not use and that the caller should drop. */
  ignored: string[];
}

/**
 * Checks weights (by name → shape) against `parameterShapes(config)`, the contract of what a Qwen2
 * checkpoint holds. Every missing parameter, every unexpected one and every shape mismatch is listed in one
 * error, so a wrong config is diagnosed in one go. A tied config whose weights also carry `lm_head.weight`
 * is accepted (transformers sometimes writes it; the tie makes it a copy of the embeddings) and reported in
 * `warnings` with the name in `ignored`.
 *
 * @param source names the checkpoint in the error message (e.g. its directory).
 * @throws PolicyError listing every problem, one per line.
 */
export function checkWeightShapes(
  config: ModelConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
  source: string,
): WeightCheckResult {
  const expected = parameterShapes(config);
  const missing: string[] = [];
  const mismatched: string[] = [];
  const unexpected: string[] = [];
  const result: WeightCheckResult = { warnings: [], ignored: [] };
  for (const [name, shape] of expected) {
    const found = shapes.get(name);
    if (found === undefined) missing.push(`missing: ${name} ${formatShape(shape)}`);
    else if (!sameShape(shape, found)) {
      mismatched.push(`${name}: expected ${formatShape(shape)}, found ${formatShape(found)}`);
    }
  }
  for (const [name, shape] of shapes) {
    if (expected.has(name)) continue;
    if (name === LM_HEAD && config.tie_word_embeddings) {
      result.warnings.push(
        `${LM_HEAD} ${formatShape(shape)} is ignored: tie_word_embeddings is true, so the output projection is model.embed_tokens.weight`,
      );
      result.ignored.push(name);
    } else {
      unexpected.push(`unexpected: ${name} ${formatShape(shape)}`);
    }
  }
  unexpected.sort();
  const problems = [...missing, ...mismatched, ...unexpected];
  if (problems.length > 0) {
    throw new PolicyError(
      `${source}: the weights do not match the config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}\nCheck that config.json belongs to these weights (sizes, num_hidden_layers, attention_bias, tie_word_embeddings).`,
    );
  }
  return result;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
