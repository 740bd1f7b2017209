import { z } from "zod";
import { PolicyError } from "../policy-error";
import type { AddedToken } from "./added-token";
import type { TokenizerPipelineJson } from "./tokenizer-pipeline";

const AddedTokenJsonSchema = z
  .object({
    id: z.number().int().nonnegative(),
    content: z.string().min(1),
    special: z.boolean().default(false),
    single_word: z.boolean().default(false),
    lstrip: z.boolean().default(false),
    rstrip: z.boolean().default(false),
    normalized: z.boolean().optional(),
  })
  .passthrough();

const MergeSchema = z.union([z.string(), z.tuple([z.string(), z.string()])]);

const BpeModelJsonSchema = z
  .object({
    type: z.literal("BPE").optional(),
    dropout: z.number().nullable().optional(),
    unk_token: z.string().nullable().optional(),
    continuing_subword_prefix: z.string().nullable().optional(),
    end_of_word_suffix: z.string().nullable().optional(),
    fuse_unk: z.boolean().optional(),
    byte_fallback: z.boolean().optional(),
    ignore_merges: z.boolean().optional(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(MergeSchema),
  })
  .passthrough();

const TokenizerJsonSchema = z
  .object({
    version: z.string().optional(),
    added_tokens: z.array(AddedTokenJsonSchema).default([]),
    normalizer: z.unknown().optional(),
    pre_tokenizer: z.unknown().optional(),
    post_processor: z.unknown().optional(),
    decoder: z.unknown().optional(),
    model: z.object({ type: z.string().optional() }).passthrough(),
  })
  .passthrough();

/** One entry of `added_tokens` in a `tokenizer.json`. */
export type AddedTokenJson = z.output<typeof AddedTokenJsonSchema>;

/** A Hugging Face `tokenizer.json` of a byte-level BPE model, as this package writes it. */
export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: TokenizerPipelineJson["normalizer"];
  pre_tokenizer: TokenizerPipelineJson["pre_tokenizer"];
  post_processor: TokenizerPipelineJson["post_processor"];
  decoder: TokenizerPipelineJson["decoder"];
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[] | [string, string][];
  };
}

/** What a `tokenizer.json` contributes to a tokenizer's config. */
export interface ParsedTokenizerJson {
  vocab: Map<string, number>;
  merges: [string, string][];
  addedTokens: AddedToken[];
  pipeline: TokenizerPipelineJson;
  ignoreMerges: boolean;
}

function splitMerge(merge: string | [string, string], index: number): [string, string] {
  if (Array.isArray(merge)) return merge;
  const parts = merge.split(" ");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    throw new PolicyError(
      `tokenizer.json model.merges[${index}] = ${JSON.stringify(merge)} must be "left right" (one space) or ["left", "right"].`,
    );
  }
  return [parts[0]!, parts[1]!];
}

/**
 * Reads a `tokenizer.json` (text or parsed) into a tokenizer config, checking that it describes a byte-level BPE
 * this package can run. Unsupported parts throw a PolicyError naming the field and what is supported.
 */
export function parseTokenizerJson(json: string | unknown): ParsedTokenizerJson {
  let raw: unknown = json;
  if (typeof json === "string") {
    try {
      raw = JSON.parse(json);
    } catch (error) {
      throw new PolicyError(`tokenizer.json is not valid JSON: ${(error as Error).message}`);
    }
  }
  const top = TokenizerJsonSchema.safeParse(raw);
  if (!top.success) throw new PolicyError(`tokenizer.json is malformed: ${z.prettifyError(top.error)}`);
  const file = top.data;
  if (file.model.type !== undefined && file.model.type !== "BPE") {
    throw new PolicyError(
      `tokenizer.json model.type ${JSON.stringify(file.model.type)} is not supported; supported: BPE.`,
    );
  }
  const parsedModel = BpeModelJsonSchema.safeParse(file.model);
  if (!parsedModel.success) {
    throw new PolicyError(`tokenizer.json model is malformed: ${z.prettifyError(parsedModel.error)}`);
  }
  const model = parsedModel.data;
  if (model.dropout !== null && model.dropout !== undefined && model.dropout !== 0) {
    throw new PolicyError("tokenizer.json model.dropout must be null: BPE dropout is not supported.");
  }
  if (model.byte_fallback === true) {
    throw new PolicyError(
      "tokenizer.json model.byte_fallback must be false: byte-level BPE needs no fallback.",
    );
  }
  for (const field of ["continuing_subword_prefix", "end_of_word_suffix"] as const) {
    if (model[field]) {
      throw new PolicyError(
        `tokenizer.json model.${field} must be null or "": it is not supported with byte-level BPE.`,
      );
    }
  }
  const addedTokens = file.added_tokens.map((t, i): AddedToken => {
    for (const flag of ["single_word", "lstrip", "rstrip"] as const) {
      if (t[flag]) {
        throw new PolicyError(
          `tokenizer.json added_tokens[${i}] (${JSON.stringify(t.content)}) has ${flag}: true, which is not supported; supported: false.`,
        );
      }
    }
    return {
      id: t.id,
      content: t.content,
      special: t.special,
      ...(t.normalized === undefined ? {} : { normalized: t.normalized }),
    };
  });
  if (file.pre_tokenizer === undefined || file.pre_tokenizer === null) {
    throw new PolicyError(
      "tokenizer.json pre_tokenizer is missing; a byte-level BPE needs ByteLevel (or Split + ByteLevel).",
    );
  }
  return {
    vocab: new Map(Object.entries(model.vocab)),
    merges: model.merges.map(splitMerge),
    addedTokens,
    pipeline: {
      normalizer: (file.normalizer ?? null) as TokenizerPipelineJson["normalizer"],
      pre_tokenizer: file.pre_tokenizer as TokenizerPipelineJson["pre_tokenizer"],
      post_processor: (file.post_processor ?? null) as TokenizerPipelineJson["post_processor"],
      decoder: (file.decoder ?? null) as TokenizerPipelineJson["decoder"],
    },
    ignoreMerges: model.ignore_merges ?? false,
  };
}

/**
 * Writes the `tokenizer.json` object. Merges are "left right" strings (what every `tokenizers` version reads)
 * unless a token holds a space, then `[left, right]` pairs.
 */
export function toTokenizerJsonObject(parts: {
  vocab: ReadonlyMap<string, number>;
  merges: readonly (readonly [string, string])[];
  addedTokens: readonly AddedToken[];
  pipeline: TokenizerPipelineJson;
  ignoreMerges: boolean;
}): TokenizerJson {
  const needsPairs = parts.merges.some(([a, b]) => a.includes(" ") || b.includes(" "));
  // fromEntries defines own properties, so a token such as "__proto__" stays a plain key.
  const vocab: Record<string, number> = Object.fromEntries([...parts.vocab].sort((x, y) => x[1] - y[1]));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: parts.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: t.normalized ?? !t.special,
      special: t.special,
    })),
    normalizer: parts.pipeline.normalizer,
    pre_tokenizer: parts.pipeline.pre_tokenizer,
    post_processor: parts.pipeline.post_processor,
    decoder: parts.pipeline.decoder,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: parts.ignoreMerges,
      vocab,
      merges: needsPairs
        ? parts.merges.map(([a, b]): [string, string] => [a, b])
        : parts.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
