export * from "./advantages-error";
export * from "./conditional-grpo-advantages";
export * from "./coupled-advantages";
export type { GroupId } from "./group-index";
export * from "./grpo-advantages";
export * from "./hdpo-advantages";
export type { AdvantageOptions } from "./options";
