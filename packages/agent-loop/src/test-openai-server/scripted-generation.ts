import { charTokenizer } from "./char-tokenizer";

/** One native tool call the scripted model makes. `arguments` is sent verbatim (it may be bad JSON on purpose). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: string;
}

/** What the scripted model "generates" for one request, before `max_tokens` and stop strings apply. */
export interface ScriptedReply {
  /** The full text the model would write if nothing stopped it. */
  text: string;
  /**
   * The ids the model samples, when they are not `text`'s canonical encoding (e.g. with a multi-char token of
   * `MULTI_CHAR_TOKENS`); they must decode to `text`. Default: one token per UTF-16 code unit.
   */
  tokenIds?: readonly number[];
  /** Log-prob of each token; default `-(i mod 7 + 1)/10` for token i. */
  logProbs?: number[];
  /** Native tool calls (chat only): the reply then has `tool_calls`, null content and finish_reason "tool_calls". */
  toolCalls?: ScriptedToolCall[];
  /** Finish reason when neither a stop string nor `max_tokens` cut the text (default "stop", i.e. EOS). */
  finishReason?: "stop" | "length";
}

/** One generated token as the wire formats need it. */
export interface GeneratedToken {
  id: number;
  text: string;
  logProb: number;
}

/** The outcome of applying a request's limits to a scripted reply, the way vLLM does. */
export interface Generation {
  /** The text returned to the client (stop string stripped unless `include_stop_str_in_output`). */
  text: string;
  /** Tokens the model sampled, including those that formed a stripped stop string (vLLM keeps them). */
  tokens: GeneratedToken[];
  finishReason: "stop" | "length";
  /** The stop string that ended generation, or null (EOS / length): vLLM's `stop_reason`. */
  stopReason: string | null;
}

/** The default log-prob of token `i`: deterministic, negative and varied so tests can tell tokens apart. */
export function defaultLogProb(i: number): number {
  return -((i % 7) + 1) / 10;
}

/**
 * Applies `max_tokens` and stop strings to a scripted reply as vLLM does: tokens are produced one by one; after
 * each, the text is searched for any stop string; on a hit the text is cut before it (or after it when
 * `includeStop`) and generation ends with finish_reason "stop".
 */
export function applyLimits(
  reply: ScriptedReply,
  limits: { maxTokens: number | undefined; stop: readonly string[]; includeStop: boolean },
): Generation {
  const ids = reply.tokenIds ?? charTokenizer.encode(reply.text);
  if (reply.tokenIds !== undefined && charTokenizer.decode(reply.tokenIds) !== reply.text) {
    throw new Error(
      `scripted reply: tokenIds decode to ${JSON.stringify(charTokenizer.decode(reply.tokenIds))}, not its text ${JSON.stringify(reply.text)}; script the ids of the text.`,
    );
  }
  const tokens: GeneratedToken[] = [];
  let text = "";
  for (let i = 0; i < ids.length; i++) {
    if (limits.maxTokens !== undefined && tokens.length >= limits.maxTokens) {
      return { text, tokens, finishReason: "length", stopReason: null };
    }
    const piece = charTokenizer.decode([ids[i]!]);
    tokens.push({ id: ids[i]!, text: piece, logProb: reply.logProbs?.[i] ?? defaultLogProb(i) });
    text += piece;
    // Only a stop string that ends inside the newest token can be new; earlier text was searched already.
    for (const stop of limits.stop) {
      const at = text.indexOf(stop, Math.max(0, text.length - piece.length - stop.length + 1));
      if (stop.length > 0 && at >= 0) {
        return {
          text: limits.includeStop ? text.slice(0, at + stop.length) : text.slice(0, at),
          tokens,
          finishReason: "stop",
          stopReason: stop,
        };
      }
    }
  }
  return { text, tokens, finishReason: reply.finishReason ?? "stop", stopReason: null };
}
