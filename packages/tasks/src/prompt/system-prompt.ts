/** An OpenAI function-tool schema, as given to the model (in the prompt, or natively). */
export interface OpenAIFunctionToolSchema {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface SystemPromptOptions {
  /** The tools offered for the task (e.g. `openAITools(registry)` of `@hdpo/tools`, filtered); may be empty. */
  tools: readonly OpenAIFunctionToolSchema[];
  /** The tools travel in the request (OpenAI `tools`), so the prompt names only the format. Default false. */
  nativeTools?: boolean;
}

/**
 * The system prompt shared by the trainer and the evaluator, in the reference's spirit (metis-protocol.md §8:
 * "You are an efficient problem-solving agent…", tools only when computation, data processing or image
 * manipulation is really needed) with the text protocol spelled out: `<reason>`, then one
 * `<tool_call>{"name": …, "arguments": {…}}</tool_call>` or the final `<answer>`. The `# Tools` section lists the
 * tools offered for the task, "the following tool" for one as the reference's math rows say.
 */
export function systemPrompt(options: SystemPromptOptions): string {
  const intro = [
    "You are an efficient problem-solving agent. Your goal is to answer accurately with as few tool calls as",
    "possible. Many questions can be answered directly from the question, the image and your own knowledge;",
    "call a tool only when computation, data processing, looking something up or image manipulation is really",
    "needed, and never to confirm what you already know.",
  ].join("\n");
  const native = options.nativeTools === true;
  const format = native
    ? [
        "# Format",
        "First think inside <reason>...</reason>. Then either call one of the provided tools, or give your final",
        "answer inside <answer>...</answer>. Put only the final answer (a number, a word, an option letter or a",
        "short phrase) inside the answer tags.",
      ].join("\n")
    : [
        "# Format",
        "Every turn starts with your reasoning inside <reason>...</reason>. Then write exactly one of:",
        '- a tool call: <tool_call>{"name": "<tool name>", "arguments": {...}}</tool_call> (one call per turn;',
        "  the result comes back in the next message), or",
        "- the final answer: <answer>...</answer> with only the answer (a number, a word, an option letter or a",
        "  short phrase) inside the tags.",
      ].join("\n");
  if (options.tools.length === 0 || native) return `${intro}\n\n${format}`;
  const toolLines = options.tools.map((tool) => JSON.stringify(tool.function)).join("\n");
  const tools = [
    "# Tools",
    `You may call ${options.tools.length === 1 ? "the following tool" : "the following tools"} when, and only when, it is really needed:`,
    "<tools>",
    toolLines,
    "</tools>",
  ].join("\n");
  return `${intro}\n\n${tools}\n\n${format}`;
}
