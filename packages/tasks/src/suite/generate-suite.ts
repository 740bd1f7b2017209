import type { Task } from "@hdpo/core";
import { BalancedLabels } from "../random/balanced-labels";
import { InventedNames } from "../random/invented-names";
import { SeededRandom } from "../random/seeded-random";
import { TasksError } from "../tasks-error";
import { directFamily } from "./families/direct-family";
import { imageFamily } from "./families/image-family";
import { pythonFamily } from "./families/python-family";
import { searchFamily } from "./families/search-family";
import {
  type CorpusDoc,
  type DrawnTask,
  type FamilyContext,
  SPLIT_NAMES,
  type SplitName,
  type SplitSizes,
  type Suite,
  type SuiteOptions,
  TASK_FAMILIES,
  type TaskFamily,
  type TaskFamilyGenerator,
} from "./suite-types";

/** Tasks per split and family when no sizes are given. */
export const DEFAULT_SPLIT_SIZES: Readonly<SplitSizes> = { train: 48, val: 16, test: 32 };
/** The `dataSource` of every suite task (the reference's reward key). */
export const SUITE_DATA_SOURCE = "hdpo-suite";
/**
 * The numeric tolerance to judge the suite with (`createJudge({ tolerance })` of `@hdpo/judge`): exact. Every numeric
 * answer is an integer below 2^53, and the judge's default relative tolerance (1e-9) would accept an off-by-one
 * slip on an 11-digit product, rewarding a guess where the task needs the python tool.
 */
export const SUITE_NUMERIC_TOLERANCE = Object.freeze({ relative: 0, absolute: 0 });
/** Draws of one family in a row that may repeat an earlier task before generation gives up. */
const MAX_REPEATED_DRAWS = 1000;
/** Draws of one family in a row that may fall outside its chosen templates before generation gives up. */
const MAX_OFF_TEMPLATE_DRAWS = 10_000;

const GENERATORS: Record<TaskFamily, TaskFamilyGenerator> = {
  direct: directFamily,
  python: pythonFamily,
  search: searchFamily,
  image: imageFamily,
};

/** Every family's template names, for `SuiteOptions.templates`. */
export const SUITE_TEMPLATES: Readonly<Record<TaskFamily, readonly string[]>> = Object.freeze({
  direct: directFamily.templates,
  python: pythonFamily.templates,
  search: searchFamily.templates,
  image: imageFamily.templates,
});

/**
 * Generates the embedded suite: for each family, its tasks drawn from the family's own random stream (so the
 * same seed gives the same suite byte for byte), no task repeated (by question, or by picture for image tasks), each split shuffled.
 * No network, no files.
 * @throws TasksError for unknown families or sizes that are not whole numbers ≥ 0.
 */
export function generateSuite(options: SuiteOptions): Suite {
  const families = checkFamilies(options.families ?? TASK_FAMILIES);
  const sizes = resolveSizes(options, families);
  const allowed = resolveTemplates(options.templates, families);
  const root = new SeededRandom(options.seed);
  const names = new InventedNames(root.fork("names"));
  const tasks: Record<SplitName, Task[]> = { train: [], val: [], test: [] };
  const corpus: CorpusDoc[] = [];
  const documentIds = new Set<string>();
  const seen = new Set<string>();
  for (const family of families) {
    const random = root.fork(`family:${family}`);
    const generator = GENERATORS[family];
    for (const split of SPLIT_NAMES) {
      const context: FamilyContext = {
        random,
        names,
        labels: new BalancedLabels(root.fork(`labels:${family}:${split}`)),
      };
      for (let index = 0; index < sizes[family][split]; index++) {
        const draw = (): DrawnTask => drawFromTemplates(generator, context, allowed[family]);
        let drawn = draw();
        for (let repeats = 0; seen.has(drawn.uniqueKey ?? drawn.question); repeats++) {
          if (repeats >= MAX_REPEATED_DRAWS) {
            throw new TasksError(
              `the ${family} family ran out of distinct questions after ${seen.size} tasks; ask for fewer ${family} tasks.`,
            );
          }
          context.labels.giveBack();
          drawn = draw();
        }
        context.labels.keep();
        seen.add(drawn.uniqueKey ?? drawn.question);
        for (const document of drawn.documents ?? []) {
          if (documentIds.has(document.id)) throw new Error(`corpus document id ${document.id} drawn twice`);
          documentIds.add(document.id);
          corpus.push(document);
        }
        const task: Task = {
          id: `${family}-${split}-${String(index).padStart(4, "0")}`,
          question: drawn.question,
          answer: drawn.answer,
          category: family,
          toolNecessity: drawn.toolNecessity,
          dataSource: SUITE_DATA_SOURCE,
          extraInfo: { split, ...drawn.extraInfo },
        };
        if (drawn.images !== undefined) task.images = drawn.images;
        tasks[split].push(task);
      }
    }
  }
  const order = root.fork("order");
  return {
    seed: options.seed,
    tasks: {
      train: order.shuffle(tasks.train),
      val: order.shuffle(tasks.val),
      test: order.shuffle(tasks.test),
    },
    corpus: order.shuffle(corpus),
  };
}

/** A draw from the family, redrawn until its template is one of `allowed` (all when undefined). */
function drawFromTemplates(
  generator: TaskFamilyGenerator,
  context: FamilyContext,
  allowed: ReadonlySet<string> | undefined,
): DrawnTask {
  for (let attempt = 0; ; attempt++) {
    const drawn = generator.draw(context);
    if (allowed === undefined || allowed.has(String(drawn.extraInfo.template))) return drawn;
    context.labels.giveBack();
    if (attempt >= MAX_OFF_TEMPLATE_DRAWS) {
      throw new TasksError(
        `the ${generator.family} family drew no task of the templates ${[...allowed].join(", ")} in ${MAX_OFF_TEMPLATE_DRAWS} tries.`,
      );
    }
  }
}

function resolveTemplates(
  templates: SuiteOptions["templates"],
  families: readonly TaskFamily[],
): Partial<Record<TaskFamily, ReadonlySet<string>>> {
  const resolved: Partial<Record<TaskFamily, ReadonlySet<string>>> = {};
  for (const [family, names] of Object.entries(templates ?? {}) as [TaskFamily, readonly string[]][]) {
    const known = GENERATORS[family]?.templates;
    if (known === undefined) {
      throw new TasksError(
        `templates: unknown family "${family}"; the families are ${TASK_FAMILIES.join(", ")}.`,
      );
    }
    const unknown = names.filter((name) => !known.includes(name));
    if (names.length === 0 || unknown.length > 0) {
      throw new TasksError(
        `templates.${family} must be a non-empty list of ${known.join(", ")}; ` +
          (unknown.length > 0 ? `unknown: ${unknown.join(", ")}.` : "got an empty list."),
      );
    }
    if (families.includes(family)) resolved[family] = new Set(names);
  }
  return resolved;
}

function checkFamilies(families: readonly TaskFamily[]): TaskFamily[] {
  const unknown = families.filter((family) => !TASK_FAMILIES.includes(family));
  if (unknown.length > 0 || families.length === 0) {
    throw new TasksError(
      `families must be a non-empty list of ${TASK_FAMILIES.join(", ")}; got ${JSON.stringify(families)}.`,
    );
  }
  return TASK_FAMILIES.filter((family) => families.includes(family));
}

function resolveSizes(
  options: SuiteOptions,
  families: readonly TaskFamily[],
): Record<TaskFamily, SplitSizes> {
  const resolved = {} as Record<TaskFamily, SplitSizes>;
  if (options.total !== undefined) {
    checkSizes(options.total, "total");
    families.forEach((family, position) => {
      const share = (split: SplitName) =>
        Math.floor(options.total![split] / families.length) +
        (position < options.total![split] % families.length ? 1 : 0);
      resolved[family] = { train: share("train"), val: share("val"), test: share("test") };
    });
    return resolved;
  }
  const sizes = options.sizes;
  const uniform = sizes !== undefined && "train" in sizes;
  for (const family of families) {
    const chosen = uniform
      ? (sizes as SplitSizes)
      : ((sizes as Partial<Record<TaskFamily, SplitSizes>> | undefined)?.[family] ?? DEFAULT_SPLIT_SIZES);
    checkSizes(chosen, uniform ? "sizes" : `sizes.${family}`);
    resolved[family] = chosen;
  }
  return resolved;
}

function checkSizes(sizes: SplitSizes, name: string): void {
  for (const split of SPLIT_NAMES) {
    const value = sizes[split];
    if (!Number.isInteger(value) || value < 0) {
      throw new TasksError(`${name}.${split} must be a whole number ≥ 0, got ${String(value)}.`);
    }
  }
}
