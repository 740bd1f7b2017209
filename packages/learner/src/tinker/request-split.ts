import type { WireData } from "./wire-datum";

/** The SDK's limits per request: 128 data, or about 500k numbers (spec §2.10). */
export const MAX_DATA_PER_REQUEST = 128;
export const MAX_NUMBERS_PER_REQUEST = 500_000;

/**
 * Splits one logical batch into requests within the SDK's limits, keeping order; a datum larger than the number
 * limit goes alone. With losses summed over tokens the gradients of the parts add up to the whole's (spec §2.10), so
 * the split changes nothing but the size of each body — a batch of a cluster run (thousands of sequences of
 * thousands of tokens) would otherwise be one JSON body of hundreds of megabytes.
 */
export function splitWireData(
  wire: WireData,
  maxData = MAX_DATA_PER_REQUEST,
  maxNumbers = MAX_NUMBERS_PER_REQUEST,
): WireData[] {
  const parts: WireData[] = [];
  let current: WireData = { data: [], weights: [] };
  let numbers = 0;
  wire.data.forEach((datum, i) => {
    // Input tokens, targets and weights: three numbers per position.
    const size = 3 * datum.loss_fn_inputs.target_tokens.data.length;
    if (current.data.length > 0 && (current.data.length >= maxData || numbers + size > maxNumbers)) {
      parts.push(current);
      current = { data: [], weights: [] };
      numbers = 0;
    }
    current.data.push(datum);
    current.weights.push(wire.weights[i]!);
    numbers += size;
  });
  if (current.data.length > 0) parts.push(current);
  return parts;
}
