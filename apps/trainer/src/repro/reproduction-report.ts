import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { chartToPng } from "@hdpo/plots";
import { writeFileAtomic } from "@hdpo/policy";
import type { RunConfig } from "@hdpo/trainer";
import type { ReproAggregates } from "./aggregate-repro";
import { type MachineInfo, machineInfo } from "./machine-info";
import type { ClaimResult } from "./repro-claims";
import type { ReproMethod } from "./repro-methods";
import { reproductionCharts } from "./reproduction-charts";
import { renderReproductionMarkdown } from "./reproduction-markdown";

export const DEFAULT_REPRODUCTION_DOC = "docs/reproduction.md";

export interface ReproductionReportOptions {
  aggregates: ReproAggregates;
  claims: readonly ClaimResult[];
  methods: readonly ReproMethod[];
  config: RunConfig;
  preset: string | null;
  /** The study's folder: reproduction.json goes there. */
  out: string;
  /** The markdown page (default docs/reproduction.md); its PNGs go to the sibling folder of the same name. */
  doc?: string;
  /** Default: this machine. */
  machine?: MachineInfo;
  /** Default: now. */
  generatedAt?: string;
}

export interface ReproductionReportFiles {
  doc: string;
  pngs: string[];
  json: string;
}

/**
 * Writes the study's page (markdown), its figures as PNGs in `<doc dir>/<doc name>/` and `out/reproduction.json`
 * (the aggregates, the claims, the settings and the machine), each file atomically.
 */
export async function writeReproductionReport(
  options: ReproductionReportOptions,
): Promise<ReproductionReportFiles> {
  const doc = options.doc ?? DEFAULT_REPRODUCTION_DOC;
  const imageDir = basename(doc, extname(doc));
  const imagePath = join(dirname(doc), imageDir);
  const machine = options.machine ?? machineInfo();
  const generatedAt = options.generatedAt ?? new Date().toISOString();
  const charts = reproductionCharts(options.aggregates);
  await mkdir(imagePath, { recursive: true });
  const pngs: string[] = [];
  for (const { id, chart } of charts) {
    const path = join(imagePath, `${id}.png`);
    await writeFileAtomic(path, chartToPng(chart, { pixelRatio: 2 }));
    pngs.push(path);
  }
  const markdown = renderReproductionMarkdown({
    aggregates: options.aggregates,
    claims: options.claims,
    methods: options.methods,
    config: options.config,
    preset: options.preset,
    machine,
    charts,
    imageDir,
    generatedAt,
  });
  await writeFileAtomic(doc, markdown);
  const json = join(options.out, "reproduction.json");
  await mkdir(options.out, { recursive: true });
  await writeFileAtomic(
    json,
    `${JSON.stringify(
      {
        generatedAt,
        preset: options.preset,
        methods: options.methods,
        config: options.config,
        machine,
        aggregates: options.aggregates,
        claims: options.claims,
      },
      null,
      2,
    )}\n`,
  );
  return { doc, pngs, json };
}
