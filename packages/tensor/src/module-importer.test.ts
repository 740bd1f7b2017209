import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { importModule, isPackageNotFoundError } from "./module-importer";

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("isPackageNotFoundError", () => {
  it("recognises Node's ESM error for a package that is not installed", async () => {
    const error = await import("@hdpo/no-such-package" as string).catch((caught: unknown) => caught);
    expect(isPackageNotFoundError(error, "@hdpo/no-such-package")).toBe(true);
  });

  it("recognises the default importer's error for a package that is not installed", async () => {
    const error = await importModule("@hdpo/no-such-package").catch((caught: unknown) => caught);
    expect(isPackageNotFoundError(error, "@hdpo/no-such-package")).toBe(true);
  });

  it("recognises Node's CommonJS error for a package that is not installed", () => {
    let error: unknown;
    try {
      createRequire(import.meta.url)("@hdpo/no-such-package");
    } catch (caught) {
      error = caught;
    }
    expect(isPackageNotFoundError(error, "@hdpo/no-such-package")).toBe(true);
  });

  it("recognises Vite's stand-in for a missing optional peer dependency (what vitest and Vite apps throw)", () => {
    const error = new Error(
      'Could not resolve "@tensorflow/tfjs-node" imported by "@hdpo/tensor". Is it installed?',
    );
    expect(isPackageNotFoundError(error, "@tensorflow/tfjs-node")).toBe(true);
    expect(isPackageNotFoundError(error, "@tensorflow/tfjs")).toBe(false);
  });

  it("does not mistake a missing native binding inside an installed package for a missing package", () => {
    const error = nodeError(
      "MODULE_NOT_FOUND",
      "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v9/tfjs_binding.node'",
    );
    expect(isPackageNotFoundError(error, "@tensorflow/tfjs-node")).toBe(false);
  });

  it("does not mistake a missing dependency of the package (a prefix of its name) for the package", () => {
    const error = nodeError(
      "ERR_MODULE_NOT_FOUND",
      "Cannot find package '@tensorflow/tfjs' imported from /app/node_modules/@tensorflow/tfjs-node/dist/index.js",
    );
    expect(isPackageNotFoundError(error, "@tensorflow/tfjs-node")).toBe(false);
  });

  it("does not treat other errors as not-found, even when they name the package", () => {
    const dlopen = nodeError("ERR_DLOPEN_FAILED", "libcudart.so.11.0: cannot open shared object file");
    expect(isPackageNotFoundError(dlopen, "@tensorflow/tfjs-node-gpu")).toBe(false);
    expect(
      isPackageNotFoundError(
        new Error("Cannot find package '@tensorflow/tfjs-node'"),
        "@tensorflow/tfjs-node",
      ),
    ).toBe(false);
    expect(
      isPackageNotFoundError("Cannot find package '@tensorflow/tfjs-node'", "@tensorflow/tfjs-node"),
    ).toBe(false);
    expect(isPackageNotFoundError(null, "@tensorflow/tfjs-node")).toBe(false);
  });
});
