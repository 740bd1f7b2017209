import { PolicyError } from "../policy-error";
import type { TextCodec } from "../text-codec";
import type { AddedToken } from "./added-token";
import { BpeModel } from "./bpe-model";
import { type BpeTrainingOptions, trainBpe } from "./bpe-trainer";
import { byteLevelToBytes } from "./byte-unicode";
import { AGENT_TAG_TOKENS, DEFAULT_EOS_TOKENS, DEFAULT_SPECIAL_TOKENS, END_OF_TEXT } from "./special-tokens";
import { parseTokenizerJson, type TokenizerJson, toTokenizerJsonObject } from "./tokenizer-json";
import {
  type CompiledPipeline,
  compilePipeline,
  qwen2Pipeline,
  type TokenizerPipelineJson,
} from "./tokenizer-pipeline";

/** Everything a byte-level BPE tokenizer is made of. */
export interface ByteLevelBpeTokenizerConfig {
  /** Token string (in GPT-2's byte-level characters) → id; must hold all 256 byte tokens. */
  vocab: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Merges in rank order, as token-string pairs. */
  merges: readonly (readonly [string, string])[];
  addedTokens?: readonly AddedToken[];
  /** Normalizer, pre-tokenizer, post-processor and decoder; defaults to Qwen2's without a normalizer. */
  pipeline?: TokenizerPipelineJson;
  /** Hugging Face `ignore_merges`: a word found whole in the vocabulary is one token. Default false. */
  ignoreMerges?: boolean;
  /** End-of-sequence tokens; defaults to those of `<|im_end|>`, `<|endoftext|>` that exist. */
  eosTokens?: readonly string[];
  /** Padding token; defaults to `<|endoftext|>`, else the first end-of-sequence token. */
  padToken?: string;
}

/** Options of {@link ByteLevelBpeTokenizer.encode}. */
export interface EncodeOptions {
  /**
   * Whether special tokens written in the text become their ids (default true). With false they are encoded as
   * plain text, so untrusted text (tool output) cannot inject `<|im_end|>`; non-special added tokens still match.
   */
  allowSpecial?: boolean;
}

/** Options of {@link ByteLevelBpeTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (not the non-special agent tags). Default false. */
  skipSpecialTokens?: boolean;
}

/** Options of {@link ByteLevelBpeTokenizer.train}. */
export interface TrainOptions
  extends Pick<BpeTrainingOptions, "minFrequency">,
    Pick<ByteLevelBpeTokenizerConfig, "eosTokens" | "padToken"> {
  /** Target vocabulary size, counting the 256 byte tokens, special and tag tokens; smaller when no pair left reaches `minFrequency`. */
  vocabSize: number;
  /** Special tokens, given the last ids but the tag tokens'. Default {@link DEFAULT_SPECIAL_TOKENS}. */
  specialTokens?: readonly string[];
  /** Non-special added tokens (single ids, decoded as text). Default {@link AGENT_TAG_TOKENS}; `[]` for none. */
  tagTokens?: readonly string[];
  /** Pre-tokenizer split pattern (Oniguruma syntax). Default Qwen2's. */
  splitPattern?: string;
}

const utf8Lossy = new TextDecoder("utf-8", { fatal: false });

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function addedTokenMatcher(tokens: readonly AddedToken[]): RegExp | undefined {
  if (tokens.length === 0) return undefined;
  // Longest first, so that at one position `<|im_end|>x` beats a shorter token that is its prefix.
  const sorted = [...tokens].sort(
    (a, b) => b.content.length - a.content.length || (a.content < b.content ? -1 : 1),
  );
  return new RegExp(sorted.map((t) => escapeRegex(t.content)).join("|"), "gu");
}

/**
 * A byte-level BPE tokenizer as GPT-2 and Qwen2 use: added tokens are cut out of the raw text first, the rest is
 * normalized, split by the pre-tokenizer pattern, turned into bytes and merged by rank. Loads and saves Hugging
 * Face `tokenizer.json`, and trains from a corpus.
 */
export class ByteLevelBpeTokenizer implements TextCodec {
  /** One more than the largest id in the vocabulary or the added tokens. */
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number;
  /** Contents of the special added tokens, in id order. */
  readonly specialTokens: readonly string[];
  /** All added tokens, in id order. */
  readonly addedTokens: readonly AddedToken[];
  readonly pipeline: TokenizerPipelineJson;
  readonly model: BpeModel;
  private readonly compiled: CompiledPipeline;
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly addedById = new Map<number, AddedToken>();
  private readonly allAddedMatcher: RegExp | undefined;
  private readonly nonSpecialAddedMatcher: RegExp | undefined;
  private readonly tokenById: (string | undefined)[];
  private readonly bytesById: (Uint8Array | undefined)[];

  constructor(config: ByteLevelBpeTokenizerConfig) {
    const vocab = config.vocab instanceof Map ? new Map(config.vocab) : new Map(Object.entries(config.vocab));
    this.model = new BpeModel(vocab, config.merges, config.ignoreMerges ?? false);
    this.pipeline = config.pipeline ?? qwen2Pipeline();
    this.compiled = compilePipeline(this.pipeline);

    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    for (const token of config.addedTokens ?? []) {
      if (!Number.isInteger(token.id) || token.id < 0 || token.id >= 2 ** 24 || token.content.length === 0) {
        throw new PolicyError(
          `added token ${JSON.stringify(token.content)} with id ${token.id}: content must be non-empty and the id an integer in [0, 2^24).`,
        );
      }
      const vocabId = vocab.get(token.content);
      const clash = this.addedById.get(token.id) ?? this.addedByContent.get(token.content);
      if (clash !== undefined || (vocabId !== undefined && vocabId !== token.id)) {
        throw new PolicyError(
          `added token ${JSON.stringify(token.content)} (id ${token.id}) clashes with ${clash ? `added token ${JSON.stringify(clash.content)} (id ${clash.id})` : `vocabulary id ${vocabId}`}; each added token needs its own content and id.`,
        );
      }
      this.addedByContent.set(token.content, token);
      this.addedById.set(token.id, token);
      maxId = Math.max(maxId, token.id);
    }
    this.vocabSize = maxId + 1;
    this.addedTokens = [...this.addedById.values()].sort((a, b) => a.id - b.id);
    this.specialTokens = this.addedTokens.filter((t) => t.special).map((t) => t.content);
    this.allAddedMatcher = addedTokenMatcher(this.addedTokens);
    this.nonSpecialAddedMatcher = addedTokenMatcher(this.addedTokens.filter((t) => !t.special));

    this.tokenById = new Array(this.vocabSize);
    this.bytesById = new Array(this.vocabSize);
    const encoder = new TextEncoder();
    for (const [token, id] of vocab) {
      this.tokenById[id] = token;
      // Like Hugging Face's ByteLevel decoder: a token outside the byte table decodes as its own UTF-8.
      this.bytesById[id] = byteLevelToBytes(token) ?? encoder.encode(token);
    }
    for (const token of this.addedTokens) this.tokenById[token.id] = token.content;

    const eosTokens = config.eosTokens ?? DEFAULT_EOS_TOKENS.filter((t) => this.tokenToId(t) !== undefined);
    this.eosTokenIds = eosTokens.map((t) => this.requireId(t, "eosTokens"));
    const padToken =
      config.padToken ?? (this.tokenToId(END_OF_TEXT) !== undefined ? END_OF_TEXT : eosTokens[0]);
    if (padToken === undefined) {
      throw new PolicyError(
        `no padding token: the tokenizer has neither ${END_OF_TEXT} nor an end-of-sequence token; pass padToken.`,
      );
    }
    this.padTokenId = this.requireId(padToken, "padToken");
  }

  private requireId(token: string, field: string): number {
    const id = this.tokenToId(token);
    if (id === undefined) {
      throw new PolicyError(
        `${field}: ${JSON.stringify(token)} is not a token of this tokenizer; add it first.`,
      );
    }
    return id;
  }

  /**
   * Trains merges on `corpus` (texts, iterated once) and returns the tokenizer: 256 byte tokens in GPT-2 order,
   * then the merged tokens in merge order, then the special tokens, then the tag tokens. Deterministic: ties
   * between equally frequent pairs go to the pair with the smaller (left id, right id).
   */
  static train(corpus: Iterable<string>, options: TrainOptions): ByteLevelBpeTokenizer {
    const specialTokens = options.specialTokens ?? DEFAULT_SPECIAL_TOKENS;
    const tagTokens = options.tagTokens ?? AGENT_TAG_TOKENS;
    const all = [...specialTokens, ...tagTokens];
    if (new Set(all).size !== all.length || all.some((t) => t.length === 0)) {
      throw new PolicyError("train: specialTokens and tagTokens must be non-empty strings, each given once.");
    }
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < 256 + all.length) {
      throw new PolicyError(
        `train: vocabSize ${options.vocabSize} must be an integer ≥ ${256 + all.length} (256 byte tokens + ${all.length} added tokens).`,
      );
    }
    const pipeline = qwen2Pipeline(options.splitPattern);
    const compiled = compilePipeline(pipeline);
    const matcher = addedTokenMatcher(all.map((content, id) => ({ id, content, special: true })));
    const words = new Map<string, number>();
    for (const text of corpus) {
      if (typeof text !== "string") throw new PolicyError("train: the corpus must yield strings.");
      const segments = matcher === undefined ? [text] : text.split(matcher);
      for (const segment of segments) {
        for (const word of compiled.preTokenize(compiled.normalize(segment))) {
          words.set(word, (words.get(word) ?? 0) + 1);
        }
      }
    }
    const trained = trainBpe(words, {
      maxTokens: options.vocabSize - all.length,
      ...(options.minFrequency === undefined ? {} : { minFrequency: options.minFrequency }),
    });
    const addedTokens = all.map(
      (content, i): AddedToken => ({
        id: trained.vocab.size + i,
        content,
        special: i < specialTokens.length,
        normalized: i >= specialTokens.length,
      }),
    );
    return new ByteLevelBpeTokenizer({
      vocab: trained.vocab,
      merges: trained.merges,
      addedTokens,
      pipeline,
      ...(options.eosTokens === undefined ? {} : { eosTokens: options.eosTokens }),
      ...(options.padToken === undefined ? {} : { padToken: options.padToken }),
    });
  }

  /** Loads a Hugging Face `tokenizer.json` (parsed or as text) of a byte-level BPE model. */
  static fromTokenizerJson(
    json: string | unknown,
    options: Pick<ByteLevelBpeTokenizerConfig, "eosTokens" | "padToken"> = {},
  ): ByteLevelBpeTokenizer {
    return new ByteLevelBpeTokenizer({ ...parseTokenizerJson(json), ...options });
  }

  /** The Hugging Face `tokenizer.json` object (stringify it to write the file). */
  toTokenizerJson(): TokenizerJson {
    return toTokenizerJsonObject({
      vocab: this.model.vocab,
      merges: this.model.merges,
      addedTokens: this.addedTokens,
      pipeline: this.pipeline,
      ignoreMerges: this.model.ignoreMerges,
    });
  }

  /** The id of a vocabulary or added token (given as its token string), if any. */
  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  /** The token string of an id (byte-level characters for vocabulary tokens), if any. */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.tokenById[id] : undefined;
  }

  /** Text → ids. Adds no BOS/EOS. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== "string") throw new PolicyError(`encode: expected a string, got ${typeof text}.`);
    const matcher = options.allowSpecial === false ? this.nonSpecialAddedMatcher : this.allAddedMatcher;
    const ids: number[] = [];
    if (matcher === undefined) {
      this.encodeOrdinary(text, ids);
      return ids;
    }
    let last = 0;
    for (const match of text.matchAll(matcher)) {
      this.encodeOrdinary(text.slice(last, match.index), ids);
      ids.push(this.addedByContent.get(match[0])!.id);
      last = match.index + match[0].length;
    }
    this.encodeOrdinary(text.slice(last), ids);
    return ids;
  }

  private encodeOrdinary(text: string, ids: number[]): void {
    if (text.length === 0) return;
    for (const word of this.compiled.preTokenize(this.compiled.normalize(text))) {
      for (const id of this.model.encodeWord(word)) ids.push(id);
    }
  }

  /**
   * Ids → text. Byte runs that are not valid UTF-8 (a sequence cut mid-character) become U+FFFD, never an error.
   * Ids without a token (e.g. the padding rows of a model's larger embedding) decode to nothing, as in
   * Hugging Face; negative or non-integer ids throw.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    let text = "";
    let pending: number[] = [];
    const flush = () => {
      if (pending.length > 0) text += utf8Lossy.decode(Uint8Array.from(pending));
      pending = [];
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0) {
        throw new PolicyError(`decode: ids[${i}] = ${id} is not a token id (a non-negative integer).`);
      }
      const added = this.addedById.get(id);
      if (added !== undefined) {
        flush();
        if (!(options.skipSpecialTokens && added.special)) text += added.content;
        continue;
      }
      const bytes = this.bytesById[id];
      if (bytes !== undefined) for (const b of bytes) pending.push(b);
    }
    flush();
    return text;
  }
}
