import type { DecoderModel } from "../model/decoder-model";
import type { TextCodec } from "../text-codec";
import { byteLevelToBytes } from "../tokenizer/byte-unicode";

/** A tokenizer the server can use: a codec, optionally able to name a token's raw bytes. */
export interface ServerTokenizer extends TextCodec {
  /** The token string in byte-level characters (as `ByteLevelBpeTokenizer.idToToken`), for exact `bytes`. */
  idToToken?(id: number): string | undefined;
}

/** One alternative token and its log-probability. */
export interface TokenLogProb {
  tokenId: number;
  logProb: number;
}

/**
 * Log-probabilities of every token under the distribution `generate` samples from (see `sampleToken`):
 * softmax(logits / temperature) restricted to the top-p nucleus and renormalised; −Infinity outside it.
 * Greedy (temperature 0) is a point mass on the most likely token (lowest id on ties).
 */
export function samplingLogProbs(logits: ArrayLike<number>, temperature: number, topP: number): Float64Array {
  const vocab = logits.length;
  const out = new Float64Array(vocab).fill(Number.NEGATIVE_INFINITY);
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (logits[i]! > logits[best]!) best = i;
    out[best] = 0;
    return out;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[i]! / temperature);
  const weights = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    weights[i] = Math.exp(logits[i]! / temperature - max);
    total += weights[i]!;
  }
  const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => weights[b]! - weights[a]! || a - b);
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += weights[i]!;
    if (topP < 1 && mass >= topP * total) break;
  }
  for (const i of kept) out[i] = Math.log(weights[i]!) - Math.log(mass);
  return out;
}

/**
 * The `k` most likely tokens (under the sampling distribution) at each generated position, from one
 * teacher-forced forward pass over prompt + generated tokens. Tokens outside the nucleus are never listed, so a
 * list can be shorter than `k` (greedy lists one). The values agree with `generate`'s KV-cache log-probs up to
 * float32 rounding.
 */
export function topLogProbs(
  model: DecoderModel,
  prompt: readonly number[],
  generated: readonly number[],
  sampling: { temperature: number; topP: number },
  k: number,
): TokenLogProb[][] {
  if (k === 0 || generated.length === 0) return generated.map(() => []);
  const ids = [...prompt, ...generated.slice(0, -1)];
  const logits = model.forward([ids], { lengths: [ids.length] });
  const data = logits.dataSync();
  logits.dispose();
  const vocab = model.config.vocab_size;
  return generated.map((_, i) => {
    const position = prompt.length - 1 + i;
    const row = data.subarray(position * vocab, (position + 1) * vocab);
    const logProbs = samplingLogProbs(row, sampling.temperature, sampling.topP);
    const candidates: TokenLogProb[] = [];
    logProbs.forEach((logProb, tokenId) => {
      if (logProb > Number.NEGATIVE_INFINITY) candidates.push({ tokenId, logProb });
    });
    candidates.sort((a, b) => b.logProb - a.logProb || a.tokenId - b.tokenId);
    return candidates.slice(0, k);
  });
}

const utf8 = new TextEncoder();

/** A token's text (special tokens kept) and raw UTF-8 bytes, which may be part of a character. */
export function tokenText(tokenizer: ServerTokenizer, tokenId: number): { token: string; bytes: number[] } {
  const token = tokenizer.decode([tokenId]);
  const byteLevel = tokenizer.idToToken?.(tokenId);
  const raw = byteLevel === undefined ? undefined : byteLevelToBytes(byteLevel);
  return { token, bytes: [...(raw ?? utf8.encode(token))] };
}

/**
 * How a log-prob entry names a token: its text, or with vLLM's `return_tokens_as_token_ids` the string
 * `token_id:<id>`, which names the exact id even where texts collide or a token is part of a character.
 */
export function tokenLabel(tokenizer: ServerTokenizer, tokenId: number, asTokenId: boolean): string {
  return asTokenId ? `token_id:${tokenId}` : tokenText(tokenizer, tokenId).token;
}
