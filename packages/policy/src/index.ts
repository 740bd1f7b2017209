export * from "./checkpoint/index";
export * from "./local-policy";
export * from "./model/index";
export * from "./model-config";
export * from "./policy-checkpoint";
export * from "./policy-error";
export * from "./serve/index";
export type { TextCodec } from "./text-codec";
export * from "./tokenizer/index";
