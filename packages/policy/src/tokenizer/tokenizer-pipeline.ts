import { PolicyError } from "../policy-error";
import { compileSplitPattern, GPT2_SPLIT_PATTERN, QWEN2_SPLIT_PATTERN, splitIsolated } from "./split-pattern";

/** A Hugging Face `ByteLevel` pre-tokenizer, post-processor or decoder. */
export interface ByteLevelJson {
  type: "ByteLevel";
  add_prefix_space?: boolean;
  trim_offsets?: boolean;
  use_regex?: boolean;
}

/** A Hugging Face `Split` pre-tokenizer; only behavior `Isolated` without `invert` is supported. */
export interface SplitJson {
  type: "Split";
  pattern: { Regex: string } | { String: string };
  behavior: "Isolated";
  invert: false;
}

/** The pre-tokenizers this package runs: `ByteLevel`, or a `Sequence` of `Split` steps and `ByteLevel`. */
export type PreTokenizerJson =
  | ByteLevelJson
  | { type: "Sequence"; pretokenizers: (SplitJson | ByteLevelJson)[] };

/** Unicode normalizers this package runs (alone or in a `Sequence`). */
export type NormalizerJson =
  | { type: "NFC" | "NFD" | "NFKC" | "NFKD" }
  | { type: "Sequence"; normalizers: { type: "NFC" | "NFD" | "NFKC" | "NFKD" }[] };

/** The text-processing stages of a `tokenizer.json` around the BPE model, in Hugging Face's field names. */
export interface TokenizerPipelineJson {
  normalizer: NormalizerJson | null;
  pre_tokenizer: PreTokenizerJson;
  /** `ByteLevel` only touches offsets, so it changes no ids; kept for a faithful round trip. */
  post_processor: ByteLevelJson | null;
  decoder: ByteLevelJson;
}

/** Qwen2's split-then-bytes pre-tokenizer, used by trained tokenizers. Normalizer `null` keeps decode(encode(s)) = s. */
export function qwen2Pipeline(splitPattern: string = QWEN2_SPLIT_PATTERN): TokenizerPipelineJson {
  const byteLevel = {
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: false,
    use_regex: false,
  } as const;
  return {
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: splitPattern }, behavior: "Isolated", invert: false },
        { ...byteLevel },
      ],
    },
    post_processor: { ...byteLevel },
    decoder: { ...byteLevel },
  };
}

/** The pipeline's behaviour: normalize a text segment, then cut it into words for BPE. */
export interface CompiledPipeline {
  normalize(text: string): string;
  preTokenize(text: string): string[];
}

type Step = (pieces: string[]) => string[];

const SUPPORTED_PRE_TOKENIZERS =
  'supported: {"type":"ByteLevel"}, or {"type":"Sequence"} of Split steps (pattern Regex or String, behavior "Isolated", invert false) ending with one ByteLevel, as in GPT-2 and Qwen2';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return isRecord(value) && typeof value.type === "string"
    ? `type ${JSON.stringify(value.type)}`
    : JSON.stringify(value);
}

function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function compileNormalizer(json: unknown): (text: string) => string {
  if (json === null || json === undefined) return (text) => text;
  const forms = ["NFC", "NFD", "NFKC", "NFKD"];
  const fail = () =>
    new PolicyError(
      `tokenizer.json normalizer ${describe(json)} is not supported; supported: null, NFC, NFD, NFKC, NFKD, or a Sequence of those.`,
    );
  if (!isRecord(json)) throw fail();
  if (typeof json.type === "string" && forms.includes(json.type)) {
    const form = json.type;
    return (text) => text.normalize(form);
  }
  if (json.type === "Sequence" && Array.isArray(json.normalizers)) {
    const parts = json.normalizers.map(compileNormalizer);
    return (text) => parts.reduce((acc, part) => part(acc), text);
  }
  throw fail();
}

function byteLevelStep(json: Record<string, unknown>, field: string): Step {
  const addPrefixSpace = json.add_prefix_space ?? true;
  const useRegex = json.use_regex ?? true;
  if (typeof addPrefixSpace !== "boolean" || typeof useRegex !== "boolean") {
    throw new PolicyError(
      `tokenizer.json ${field}: add_prefix_space and use_regex must be booleans when given.`,
    );
  }
  const gpt2 = useRegex ? compileSplitPattern(GPT2_SPLIT_PATTERN) : undefined;
  return (pieces) => {
    const spaced = addPrefixSpace ? pieces.map((p) => (p.startsWith(" ") ? p : ` ${p}`)) : pieces;
    return gpt2 === undefined ? spaced : spaced.flatMap((p) => splitIsolated(p, gpt2));
  };
}

function splitStep(json: Record<string, unknown>, field: string): Step {
  if (json.behavior !== "Isolated" || json.invert !== false) {
    throw new PolicyError(
      `tokenizer.json ${field}: Split with behavior ${JSON.stringify(json.behavior)} and invert ${JSON.stringify(json.invert)} is not supported; ${SUPPORTED_PRE_TOKENIZERS}.`,
    );
  }
  const pattern = json.pattern;
  let regex: RegExp;
  if (isRecord(pattern) && typeof pattern.Regex === "string") regex = compileSplitPattern(pattern.Regex);
  else if (isRecord(pattern) && typeof pattern.String === "string" && pattern.String.length > 0) {
    regex = new RegExp(escapeRegex(pattern.String), "gu");
  } else {
    throw new PolicyError(
      `tokenizer.json ${field}.pattern must be {"Regex": string} or {"String": non-empty string}.`,
    );
  }
  return (pieces) => pieces.flatMap((p) => splitIsolated(p, regex));
}

function compilePreTokenizer(json: unknown): Step {
  const field = "pre_tokenizer";
  if (isRecord(json) && json.type === "ByteLevel") return byteLevelStep(json, field);
  if (isRecord(json) && json.type === "Sequence" && Array.isArray(json.pretokenizers)) {
    const steps = json.pretokenizers;
    const last = steps.at(-1);
    if (!isRecord(last) || last.type !== "ByteLevel") {
      throw new PolicyError(
        `tokenizer.json ${field}.pretokenizers must end with ByteLevel; ${SUPPORTED_PRE_TOKENIZERS}.`,
      );
    }
    const compiled = steps.map((step, i): Step => {
      const stepField = `${field}.pretokenizers[${i}]`;
      if (isRecord(step) && step.type === "Split") return splitStep(step, stepField);
      if (isRecord(step) && step.type === "ByteLevel" && i === steps.length - 1)
        return byteLevelStep(step, stepField);
      throw new PolicyError(
        `tokenizer.json ${stepField} ${describe(step)} is not supported; ${SUPPORTED_PRE_TOKENIZERS}.`,
      );
    });
    return (pieces) => compiled.reduce((acc, step) => step(acc), pieces);
  }
  throw new PolicyError(
    `tokenizer.json ${field} ${describe(json)} is not supported; ${SUPPORTED_PRE_TOKENIZERS}.`,
  );
}

/** Checks a pipeline and turns it into functions; throws a PolicyError naming the unsupported field. */
export function compilePipeline(pipeline: TokenizerPipelineJson): CompiledPipeline {
  const normalize = compileNormalizer(pipeline.normalizer);
  const preTokenize = compilePreTokenizer(pipeline.pre_tokenizer);
  const post: unknown = pipeline.post_processor;
  if (post !== null && post !== undefined && !(isRecord(post) && post.type === "ByteLevel")) {
    throw new PolicyError(
      `tokenizer.json post_processor ${describe(post)} is not supported; supported: null or ByteLevel (this tokenizer adds no BOS/EOS around encodings).`,
    );
  }
  const decoder: unknown = pipeline.decoder;
  if (!(isRecord(decoder) && decoder.type === "ByteLevel")) {
    throw new PolicyError(
      `tokenizer.json decoder ${describe(decoder)} is not supported; supported: ByteLevel.`,
    );
  }
  return {
    normalize,
    preTokenize: (text) => (text.length === 0 ? [] : preTokenize([text]).filter((p) => p.length > 0)),
  };
}
