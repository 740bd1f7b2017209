import { join } from "node:path";
import { useBackend } from "@hdpo/tensor";
import {
  createLearnerHttpServer,
  type LearnerHttpServer,
  type LearnerHttpServerOptions,
} from "../http/learner-http-server";
import { type BaseModel, loadBaseModel } from "../service/base-model";
import { LearnerService, type LearnerServiceOptions } from "../service/learner-service";
import { TinkerTestClient } from "./tinker-test-client";

// Test-only: an hdpo-learner on 127.0.0.1 (a free port) over a tiny checkpoint, in this process.

export const BASE_NAME = "tiny-base";

export interface RunningLearner {
  url: string;
  client: TinkerTestClient;
  service: LearnerService;
  server: LearnerHttpServer;
  stateDir: string;
  close(): Promise<void>;
}

let backendReady: Promise<unknown> | undefined;

/** The tfjs backend of the tests (cpu: no start-up cost, exact and fast enough for the tiny model). */
export function testBackend(): Promise<unknown> {
  backendReady ??= useBackend("cpu");
  return backendReady;
}

export async function startLearner(
  checkpoint: string,
  stateDir: string,
  options: Partial<LearnerServiceOptions> & Partial<Omit<LearnerHttpServerOptions, "service">> = {},
): Promise<RunningLearner> {
  await testBackend();
  const base: BaseModel = await loadBaseModel(checkpoint, BASE_NAME);
  const service = await LearnerService.open({ base, stateDir, log: () => undefined, ...options });
  const server = createLearnerHttpServer({ service, ...options });
  const { url } = await server.listen(0, "127.0.0.1");
  return {
    url,
    client: new TinkerTestClient(url),
    service,
    server,
    stateDir,
    close: () => server.close(1_000),
  };
}

/** A fresh state directory under `root`. */
let counter = 0;
export function freshStateDir(root: string): string {
  return join(root, `state-${process.pid}-${counter++}`);
}
