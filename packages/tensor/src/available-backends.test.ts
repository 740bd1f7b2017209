import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { activeBackend } from "./active-backend";
import { availableBackends } from "./available-backends";
import type { ModuleImporter } from "./module-importer";
import { useBackend } from "./use-backend";

function notFound(specifier: string): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/x.js`), {
    code: "ERR_MODULE_NOT_FOUND",
  });
}

describe("availableBackends", () => {
  it("lists wasm and cpu here, and no native backend (tfjs-node is not installed on this machine)", async () => {
    // If someone installs tfjs-node here, the last expectation will rightly need updating.
    expect(await availableBackends()).toEqual(["wasm", "cpu"]);
  });

  it("does not change the active backend", async () => {
    await useBackend("cpu");
    await availableBackends();
    expect(activeBackend()).toBe("cpu");
  });

  it("includes an installed native backend and leaves out a broken or missing one", async () => {
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === "@tensorflow/tfjs-node") return {};
      if (specifier === "@tensorflow/tfjs-node-gpu")
        throw new Error("libcudnn.so.8: cannot open shared object");
      return import(specifier);
    };
    expect(await availableBackends({ importModule: importer })).toEqual(["wasm", "cpu", "tensorflow"]);
  });

  it("leaves out even wasm and cpu when their packages cannot be found", async () => {
    const importer: ModuleImporter = async (specifier) => {
      throw notFound(specifier);
    };
    expect(await availableBackends({ importModule: importer })).toEqual([]);
    expect(tf.getBackend()).toBe("cpu");
  });
});
