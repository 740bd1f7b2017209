import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceImageSize } from "./image-resize-rules";
import { createPythonLauncher, type PythonLauncher } from "./python-launcher";
import { formatPythonObservation } from "./python-observation";
import { NO_OUTPUT_TEXT } from "./python-session";
import { jpegDataUri, pngSize, testInterpreter } from "./python-test-support";

let launcher: PythonLauncher;

beforeAll(async () => {
  launcher = await createPythonLauncher({ interpreter: await testInterpreter(), prewarm: 2 });
});

afterAll(async () => {
  await launcher?.close();
});

describe("python sessions", () => {
  it("keeps variables, functions and imports between calls of one session", async () => {
    const session = await launcher.start("persist-1", []);
    expect((await session.run("x = 41\ndef bump(v):\n    return v + 1")).stdout).toBe(NO_OUTPUT_TEXT);
    const result = await session.run("print(bump(x))");
    expect(result).toMatchObject({ stdout: "42\n", stderr: "", success: true, terminated: false });
    await session.close();
    expect(session.alive).toBe(false);
  });

  it("isolates two sessions: names and directories differ", async () => {
    const [a, b] = await Promise.all([launcher.start("iso-a", []), launcher.start("iso-b", [])]);
    await a.run("secret_value = 'only in a'\nopen('mine.txt', 'w').write('a')");
    const inB = await b.run("print('secret_value' in globals(), os.path.exists('mine.txt'))");
    expect(inB.stdout).toBe("False False\n");
    expect((await a.run("os.getcwd()")).stdout).toBe("'/tmp/metis_sessions/iso-a'");
    expect((await b.run("os.getcwd()")).stdout).toBe("'/tmp/metis_sessions/iso-b'");
    await Promise.all([a.close(), b.close()]);
  });

  it("preloads the reference's names and image_1..image_n as PIL images", async () => {
    const session = await launcher.start("init-1", [jpegDataUri(64, 48), jpegDataUri(20, 30)]);
    const result = await session.run(
      "print(image_1.size, image_1.mode, image_2.size, math.pi > 3, sin(0), cos(0), type(BytesIO()).__name__)\nprint(np.arange(3).sum(), base64.b64encode(b'a'), Image.__name__, plt.__name__)",
    );
    expect(result.stdout).toBe(
      "(64, 48) RGB (20, 30) True 0.0 1.0 BytesIO\n3 b'YQ==' PIL.Image matplotlib.pyplot\n",
    );
    await session.close();
  });

  it("round-trips a task image: model-style crop + zoom comes back as a PNG resized by the reference rules", async () => {
    const session = await launcher.start("image-rt", [jpegDataUri(640, 480)]);
    const code = "crop = image_1.crop((100, 50, 300, 200))\ncrop.resize((crop.width * 2, crop.height * 2))";
    const result = await session.run(code);
    expect(result.success).toBe(true);
    expect(result.images).toHaveLength(1);
    // 400x300 after the zoom; the rules make both sides multiples of 32 with Python rounding.
    expect(pngSize(result.images[0] as string)).toEqual(referenceImageSize(400, 300));
    expect(pngSize(result.images[0] as string)).toEqual({ width: 384, height: 288 }); // round(12.5) = 12 in Python
    expect(result.stdout).toBe("");
    const observation = formatPythonObservation(result, code);
    expect(observation.obs.endsWith("```\n\nImages:\n")).toBe(true);
    expect(observation.image).toEqual(result.images);
    await session.close();
  });

  it("resizes PIL images directly with the same bytes as the reference's PNG round trip", async () => {
    const session = await launcher.start("png-equivalence", [jpegDataUri(301, 203)]);
    const result = await session.run(
      [
        "import __main__ as driver",
        "same = []",
        "for img in [image_1.convert('RGB'), image_1.convert('L'), image_1.convert('RGBA'), image_1.convert('P')]:",
        "    buffer = BytesIO()",
        "    img.save(buffer, format='PNG')",
        "    same.append(driver._image_data_uri(img) == driver._png_data_uri(buffer.getvalue()))",
        "print(same)",
      ].join("\n"),
    );
    expect(result.stdout).toBe("[True, True, True, True]\n");
    await session.close();
  });

  it("captures display() images and open matplotlib figures, then closes the figures", async () => {
    const session = await launcher.start("figures", []);
    const result = await session.run(
      "display(Image.new('RGB', (50, 40)))\nfig = plt.figure(figsize=(4, 3))\nplt.plot([1, 2, 3])\nprint('drawn')",
    );
    expect(result.success).toBe(true);
    expect(result.images).toHaveLength(2);
    expect(pngSize(result.images[0] as string)).toEqual(referenceImageSize(50, 40));
    expect(result.stdout).toBe("drawn\n");
    const after = await session.run("len(plt.get_fignums())");
    expect(after).toMatchObject({ stdout: "0", images: [] });
    await session.close();
  });

  it("writes prints to stdout, tracebacks to stderr without driver frames, and drops images on failure", async () => {
    const session = await launcher.start("errors", []);
    const result = await session.run(
      "print('before')\ndisplay(Image.new('RGB', (64, 64)))\ndef broken():\n    return 1 / 0\nbroken()",
    );
    expect(result.success).toBe(false);
    expect(result.images).toEqual([]);
    expect(result.stdout).toBe("before\n");
    expect(result.stderr).toContain("Traceback (most recent call last):");
    expect(result.stderr).toContain("line 4, in broken");
    expect(result.stderr).toMatch(/ZeroDivisionError: division by zero\n$/);
    expect(result.stderr).not.toContain("driver.py");
    const syntax = await session.run("def (:");
    expect(syntax.success).toBe(false);
    expect(syntax.stderr).toContain("SyntaxError");
    const stderrOnly = await session.run("import sys\nprint('warned', file=sys.stderr)");
    expect(stderrOnly).toMatchObject({ success: true, stdout: NO_OUTPUT_TEXT, stderr: "warned\n" });
    await session.close();
  });

  it("shows the last expression like IPython, unless it ends with a semicolon, and strips ANSI codes", async () => {
    const session = await launcher.start("display-last", []);
    expect((await session.run("a = 2\na * 21")).stdout).toBe("42");
    expect((await session.run("a * 21;")).stdout).toBe(NO_OUTPUT_TEXT);
    expect((await session.run("None")).stdout).toBe(NO_OUTPUT_TEXT);
    expect((await session.run("print('\\x1b[31mred\\x1b[0m')")).stdout).toBe("red\n");
    expect((await session.run("    x = 3\n    x")).stdout).toBe("3");
    expect((await session.run("%matplotlib inline\nprint('magic ignored')")).stdout).toBe("magic ignored\n");
    await session.close();
  });

  it("merges raw fd 1/2 writes (C code, os.write, subprocesses) into stdout/stderr", async () => {
    const session = await launcher.start("raw-fds", []);
    const result = await session.run(
      "os.write(1, b'raw-out\\n')\nos.write(2, b'raw-err\\n')\nprint('captured')",
    );
    expect(result.stdout).toBe("captured\nraw-out\n");
    expect(result.stderr).toBe("raw-err\n");
    const child = await session.run(
      "import subprocess, sys\nsubprocess.run(['echo', 'from-child'], stdout=sys.stdout)\nprint('after')",
    );
    expect(child.stdout).toBe("after\nfrom-child\n");
    const next = await session.run("print('next')");
    expect(next.stdout).toBe("next\n");
    await session.close();
  });

  it("removes terminal control sequences and control characters from the output, captured or raw", async () => {
    const session = await launcher.start("controls", []);
    const result = await session.run(
      [
        "print('a\\x1b]0;title\\x07b\\x1b]8;;http://x\\x1b\\\\c\\x9b31md\\re\\bf\\x00g\\th\\x85i')",
        "n = os.write(1, b'raw\\x1b[2Jclear\\x07bell\\r\\n')",
      ].join("\n"),
    );
    expect(result.stdout).toBe("abcdefg\thi\nrawclearbell\n");
    await session.close();
  });

  it("survives odd text (lone surrogates, NUL, non-ASCII) and skips an undecodable task image", async () => {
    const session = await launcher.start("odd-text", [
      "data:image/jpeg;base64,bm90IGFuIGltYWdl",
      jpegDataUri(8, 8),
    ]);
    const result = await session.run(
      String.raw`print('caf\u00e9 \u65e5\u672c \ud800 \x00 end')` +
        "\nprint('image_1' in globals(), image_2.size)",
    );
    expect(result.success).toBe(true);
    // NUL is a control character: it never reaches an observation (see output-text.ts)
    expect(result.stdout).toBe("caf\u00e9 \u65e5\u672c \ud800  end\nFalse (8, 8)\n");
    await session.close();
  });

  it("caps output per stream and says so", async () => {
    const capped = await createPythonLauncher({
      interpreter: await testInterpreter(),
      sandbox: launcher.sandbox,
      limits: { outputBytes: 1000 },
    });
    try {
      const session = await capped.start("cap", []);
      const result = await session.run("print('x' * 5000)\nos.write(1, b'y' * 5000)");
      expect(result.stdout.startsWith("x".repeat(1000))).toBe(true);
      expect(result.stdout).toMatch(
        /\[output truncated: \d+ more bytes were not kept; the limit is 1000 bytes per stream\]$/,
      );
      expect(result.stdout.length).toBeLessThan(1200);
      expect((await session.run("print('ok')")).stdout).toBe("ok\n");
    } finally {
      await capped.close();
    }
  });

  it("treats sys.exit as an error that keeps the session, and os._exit as a terminated session", async () => {
    const session = await launcher.start("exits", []);
    const exit = await session.run("import sys\nsys.exit(3)");
    expect(exit).toMatchObject({ success: false, terminated: false });
    expect(exit.stderr).toContain("SystemExit: 3");
    const hard = await session.run("os._exit(1)");
    expect(hard).toMatchObject({ success: false, terminated: true, timedOut: false });
    expect(hard.stderr).toContain("session was terminated");
    expect(session.alive).toBe(false);
    expect((await session.run("print(1)")).terminated).toBe(true);
  });

  it("formats the observation exactly like the reference", async () => {
    const session = await launcher.start("obs", []);
    const code = "print('hello')";
    const observation = formatPythonObservation(await session.run(code), code);
    expect(observation).toEqual({
      obs: "Code execution result:\nstdout:\n```\nhello\n\n```\n\nstderr:\n```\n\n```",
      image: [],
      metrics: { code_success: true, code_lines: 1 },
      timeout: false,
    });
    await session.close();
  });
});
