// The system prompt is shared with the trainer: one text, defined in @hdpo/tasks (metis-protocol.md §8).
export { type OpenAIFunctionToolSchema, systemPrompt as buildSystemPrompt } from "@hdpo/tasks";
