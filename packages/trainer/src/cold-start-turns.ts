import type { Task } from "@hdpo/core";
import type { SeededRandom } from "@hdpo/tasks";
import { directRationale } from "./direct-rationale";
import { pythonSolution } from "./python-solution";

/** The tool call a cold-start trajectory makes, or none. */
export type ColdStartCall =
  | { name: "python"; arguments: { code: string } }
  | { name: "search"; arguments: { query: string } };

/** What the teacher writes for one task: the opening turn (a call or the answer) and the closing turn. */
export interface ColdStartPlan {
  call: ColdStartCall | undefined;
  firstTurn: string;
  finalTurn: string;
}

const COMPUTE_REASONS = [
  "This needs an exact computation, so I will run it in Python.",
  "Doing this by hand is error-prone; I will compute it with code.",
  "Let me compute the exact value with Python.",
  "I will write a short script to get the exact result.",
];
const CHECK_REASONS = [
  "This looks simple, but let me check it with Python.",
  "I will quickly verify this with a line of code.",
  "Let me confirm the answer with Python before answering.",
  "A quick Python check will make sure.",
];
const SEARCH_REASONS = [
  "I do not know this fact, so I will search for it.",
  "This is a specific fact; let me look it up.",
  "I need to find this in the reference corpus.",
  "Let me search for the relevant article.",
];
const DIRECT_REASONS = [
  "The answer is given in the question.",
  "This can be answered directly.",
  "No tool is needed for this one.",
];
const FINAL_REASONS = [
  "The tool output gives the answer.",
  "The result is clear from the output.",
  "The output confirms the answer.",
  "That settles it.",
];

/**
 * The teacher's turns for one task in the reference format. Python-family tasks compute the answer with code,
 * search-family tasks query the corpus for the entity, and tool-unnecessary tasks still call Python when
 * `useTool` is set (the reflexive habit the paper's starting point has). Texts are templated but varied. With
 * `directRationales`, direct answers reason step by step where `directRationale` has a worked reason.
 */
export function coldStartPlan(
  task: Task,
  random: SeededRandom,
  useTool: boolean,
  directRationales = false,
): ColdStartPlan {
  const answer = Array.isArray(task.answer) ? task.answer[0]! : (task.answer as string);
  const finalTurn = (why: string): string => `<reason>${why}</reason><answer>${answer}</answer>`;
  const call = useTool ? toolCallFor(task, answer) : undefined;
  if (call === undefined) {
    const why = (directRationales ? directRationale(task) : undefined) ?? random.pick(DIRECT_REASONS);
    return { call: undefined, firstTurn: finalTurn(why), finalTurn: "" };
  }
  const reasons =
    call.name === "search"
      ? SEARCH_REASONS
      : task.toolNecessity === "required"
        ? COMPUTE_REASONS
        : CHECK_REASONS;
  const firstTurn = `<reason>${random.pick(reasons)}</reason><tool_call>${JSON.stringify(call)}</tool_call>`;
  return { call, firstTurn, finalTurn: finalTurn(random.pick(FINAL_REASONS)) };
}

function toolCallFor(task: Task, answer: string): ColdStartCall {
  if (task.category === "search") {
    const entity = typeof task.extraInfo?.entity === "string" ? task.extraInfo.entity : undefined;
    return { name: "search", arguments: { query: entity ?? task.question } };
  }
  const code = pythonSolution(task) ?? `print(${JSON.stringify(answer)})`;
  return { name: "python", arguments: { code } };
}
