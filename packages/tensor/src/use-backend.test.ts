import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { activeBackend } from "./active-backend";
import { TensorBackendError } from "./tensor-backend-error";
import { BACKEND_ENV_VAR, useBackend } from "./use-backend";

async function rejection(promise: Promise<unknown>): Promise<TensorBackendError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TensorBackendError);
  return error as TensorBackendError;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("useBackend", () => {
  it.each(["cpu", "wasm"] as const)(
    "switches to %s, makes it active and computes gradients on it",
    async (name) => {
      expect(await useBackend(name)).toBe(name);
      expect(activeBackend()).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const x = tf.tensor1d([0, Math.log(2)]);
      // d/dx Σ exp(x) = exp(x) = [1, 2]
      const gradient = tf.grad((v) => tf.sum(tf.exp(v)))(x);
      const values = Array.from(gradient.dataSync());
      expect(values[0]).toBeCloseTo(1, 6);
      expect(values[1]).toBeCloseTo(2, 6);
      tf.dispose([x, gradient]);
    },
  );

  it("wasm in Node runs the SIMD build on a single thread (tfjs turns threads off when IS_NODE)", async () => {
    await useBackend("wasm");
    expect(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")).toBe(true);
    expect(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")).toBe(false);
    const wasmBackend = tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } };
    expect(wasmBackend.wasm.tfjs.getThreadsCount()).toBe(1);
  });

  it('defaults to "wasm" when neither an argument nor HDPO_BACKEND names one', async () => {
    await useBackend("cpu");
    expect(await useBackend(undefined, { env: {} })).toBe("wasm");
    expect(activeBackend()).toBe("wasm");
    await useBackend("cpu");
    expect(await useBackend(undefined, { env: { [BACKEND_ENV_VAR]: "" } })).toBe("wasm");
  });

  it("reads HDPO_BACKEND from process.env when no name is given", async () => {
    await useBackend("wasm");
    vi.stubEnv("HDPO_BACKEND", "cpu");
    expect(await useBackend()).toBe("cpu");
    expect(activeBackend()).toBe("cpu");
  });

  it("lets an explicit name win over HDPO_BACKEND", async () => {
    vi.stubEnv("HDPO_BACKEND", "cpu");
    expect(await useBackend("wasm")).toBe("wasm");
  });

  it("rejects an unknown HDPO_BACKEND, naming the variable, its value and the valid names", async () => {
    const error = await rejection(useBackend(undefined, { env: { HDPO_BACKEND: "webgl" } }));
    expect(error.code).toBe("invalid-name");
    expect(error.message).toContain('HDPO_BACKEND="webgl"');
    expect(error.message).toContain('"wasm", "cpu", "tensorflow", "tensorflow-gpu"');
  });

  it("rejects an unknown name passed as argument", async () => {
    const error = await rejection(useBackend("webgpu" as "wasm"));
    expect(error.code).toBe("invalid-name");
    expect(error.message).toContain('"webgpu"');
  });

  describe("optional native backends that are not installed (for real: they are absent here)", () => {
    it.each([
      ["tensorflow", "@tensorflow/tfjs-node", "pnpm add @tensorflow/tfjs-node"],
      ["tensorflow-gpu", "@tensorflow/tfjs-node-gpu", "pnpm add @tensorflow/tfjs-node-gpu"],
    ] as const)(
      "%s: says it is not installed, how to install it, and that wasm works",
      async (name, pkg, install) => {
        await useBackend("wasm");
        const error = await rejection(useBackend(name));
        expect(error.code).toBe("not-installed");
        expect(error.backend).toBe(name);
        expect(error.message).toContain(`${pkg}, which is not installed`);
        expect(error.message).toContain(install);
        expect(error.message).toContain("libtensorflow");
        expect(error.message).toContain('useBackend("wasm")');
        // Node says "Cannot find package '…'"; under vitest, Vite's optional-peer stand-in says "Could not resolve".
        expect((error.cause as Error).message).toMatch(
          /Cannot find package '@tensorflow|Could not resolve "@tensorflow/,
        );
        expect(activeBackend()).toBe("wasm");
      },
    );

    it("tells the GPU user about Linux x64, CUDA and cuDNN", async () => {
      const error = await rejection(useBackend("tensorflow-gpu"));
      expect(error.message).toMatch(/Linux x64.*CUDA.*cuDNN/);
    });
  });

  describe("optional native backends that are installed but broken (injected importer)", () => {
    it("reports a missing native binding as a load failure with its cause, not as not-installed", async () => {
      const bindingMissing = Object.assign(
        new Error(
          "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v9/tfjs_binding.node'",
        ),
        { code: "MODULE_NOT_FOUND" },
      );
      const error = await rejection(
        useBackend("tensorflow", {
          importModule: (specifier) =>
            specifier === "@tensorflow/tfjs-node" ? Promise.reject(bindingMissing) : import(specifier),
        }),
      );
      expect(error.code).toBe("load-failed");
      expect(error.message).toContain("@tensorflow/tfjs-node is installed but failed to load");
      expect(error.message).toContain("tfjs_binding.node");
      expect(error.cause).toBe(bindingMissing);
    });

    it("reports a libtensorflow that cannot be opened as a load failure naming the library", async () => {
      const libraryMissing = Object.assign(
        new Error("libtensorflow.so.2: cannot open shared object file: No such file or directory"),
        { code: "ERR_DLOPEN_FAILED" },
      );
      const error = await rejection(
        useBackend("tensorflow-gpu", { importModule: () => Promise.reject(libraryMissing) }),
      );
      expect(error.code).toBe("load-failed");
      expect(error.message).toContain("libtensorflow.so.2: cannot open shared object file");
      expect(error.message).toContain("CUDA");
    });

    it("reports a backend whose initialisation fails as an init failure, and restores the previous one", async () => {
      await useBackend("cpu");
      const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
      try {
        const error = await rejection(
          useBackend("tensorflow", {
            importModule: async () => {
              tf.registerBackend("tensorflow", () => {
                throw new Error("TF_NewSession failed");
              });
            },
          }),
        );
        expect(error.code).toBe("init-failed");
        expect(error.message).toContain('tfjs failed to initialise "tensorflow"');
        expect(activeBackend()).toBe("cpu");
        expect(tf.getBackend()).toBe("cpu");
        // tfjs itself logged the reason.
        expect(warn.mock.calls.flat().map(String).join("\n")).toContain("TF_NewSession failed");
      } finally {
        warn.mockRestore();
        tf.removeBackend("tensorflow");
      }
    });

    it("reports a package that loads but registers no backend as an init failure", async () => {
      const error = await rejection(useBackend("tensorflow", { importModule: async () => ({}) }));
      expect(error.code).toBe("init-failed");
      expect(error.message).toContain('"tensorflow"');
    });
  });

  it("refuses a tfjs-node-gpu whose libtensorflow found no GPU (CUDA missing), and restores the backend", async () => {
    await useBackend("wasm");
    const fakeNodeGpuWithoutCuda = async () => {
      // tfjs-node's backend reports isUsingGpuDevice = false when libtensorflow skipped the GPU devices.
      tf.registerBackend("tensorflow", () =>
        Object.assign(new MathBackendCPU(), { isUsingGpuDevice: false }),
      );
    };
    try {
      const error = await rejection(useBackend("tensorflow-gpu", { importModule: fakeNodeGpuWithoutCuda }));
      expect(error.code).toBe("init-failed");
      expect(error.message).toContain("found no usable GPU and would run on the CPU");
      expect(error.message).toContain("CUDA 11.2 and cuDNN 8.1");
      expect(activeBackend()).toBe("wasm");
    } finally {
      tf.removeBackend("tensorflow");
    }
  });

  it('reports "tensorflow-gpu" as active when tfjs-node-gpu provided the "tensorflow" backend', async () => {
    const fakeNodeGpu = async () => {
      // What @tensorflow/tfjs-node-gpu does on import: register a backend named "tensorflow".
      tf.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: true }));
    };
    try {
      expect(await useBackend("tensorflow-gpu", { importModule: fakeNodeGpu })).toBe("tensorflow-gpu");
      expect(tf.getBackend()).toBe("tensorflow");
      expect(activeBackend()).toBe("tensorflow-gpu");
    } finally {
      await useBackend("cpu");
      tf.removeBackend("tensorflow");
    }
  });
});

describe("the cpu backend's node banner", () => {
  const BANNER = "Hi, looks like you are running TensorFlow.js in Node.js";

  async function warningsOfFirstCpuUse(nodeBanner: boolean): Promise<string[]> {
    await useBackend("wasm");
    // A fresh cpu backend instance, so that its one-time banner has not been shown yet.
    tf.removeBackend("cpu");
    tf.registerBackend("cpu", () => new MathBackendCPU());
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await useBackend("cpu", { nodeBanner });
      tf.tensor1d([1]).dispose();
      return warn.mock.calls.map((call) => call.map(String).join(" "));
    } finally {
      warn.mockRestore();
    }
  }

  it("is printed on first use when asked for (so the suppression below is not vacuous)", async () => {
    const warnings = await warningsOfFirstCpuUse(true);
    expect(warnings.some((message) => message.includes(BANNER))).toBe(true);
  });

  it("is suppressed by default, and nothing else is", async () => {
    const warnings = await warningsOfFirstCpuUse(false);
    expect(warnings).toEqual([]);
  });
});
