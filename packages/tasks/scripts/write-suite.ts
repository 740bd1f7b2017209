// Writes the embedded suite to a folder: tsx scripts/write-suite.ts --out DIR [--seed 1] [--train 48 --val 16
// --test 32] [--families direct,python,search,image] [--formats parquet,jsonl]. Parquet rows get the shared
// system prompt offering python and search (every task is offered the same tools: deciding not to use them is
// what is learned).
import { parseArgs } from "node:util";
import { createBuiltinRegistry, openAITools } from "@hdpo/tools";
import {
  DEFAULT_SPLIT_SIZES,
  generateSuite,
  type SuiteFormat,
  systemPrompt,
  type TaskFamily,
  writeSuite,
} from "../src/index";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    seed: { type: "string", default: "1" },
    train: { type: "string", default: String(DEFAULT_SPLIT_SIZES.train) },
    val: { type: "string", default: String(DEFAULT_SPLIT_SIZES.val) },
    test: { type: "string", default: String(DEFAULT_SPLIT_SIZES.test) },
    families: { type: "string" },
    formats: { type: "string", default: "parquet,jsonl" },
  },
});
if (values.out === undefined) {
  process.stderr.write("write-suite: --out DIR is required.\n");
  process.exit(2);
}
const seed = /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed;
const suite = generateSuite({
  seed,
  sizes: { train: Number(values.train), val: Number(values.val), test: Number(values.test) },
  ...(values.families === undefined ? {} : { families: values.families.split(",") as TaskFamily[] }),
});
const tools = openAITools(createBuiltinRegistry()).filter((tool) =>
  ["python", "search"].includes(tool.function.name),
);
const written = await writeSuite(values.out, suite, {
  formats: values.formats.split(",") as SuiteFormat[],
  systemPrompt: systemPrompt({ tools }),
});
const counts = Object.entries(suite.tasks).map(([split, tasks]) => `${split} ${tasks.length}`);
process.stdout.write(
  `wrote ${counts.join(", ")} tasks and ${suite.corpus.length} corpus documents to ${values.out}\n`,
);
process.stdout.write(`${Object.values(written.files).join("\n")}\n${written.corpus}\n`);
